#!/vmtest/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of a VM matrix guest (scripts/vmtest/vm.py builds the initramfs).
#
# /vmtest/config (written by vm.py) says:
#   VM_MODULES  kernel modules to insmod, dependencies first (/vmtest/modules/NAME.ko)
#   VM_ROOT     "hostroot": the host's / over virtio-9p (tag hostroot), read-only,
#               chrooted into; "initramfs": this initramfs is the userland
#   VM_REPO     hostroot only: the repository's path, mounted again there from
#               the 9p share "repo" (it may lie under /tmp, which gets a tmpfs)
#   VM_CWD      directory the runner starts in
#   VM_RUN      the runner's command line (shell-quoted)
# Results go to the read-write 9p share "out", mounted at /run/vmtest-out
# inside the root. Then the guest powers off; anything that fails on the way
# is printed as "vmtest: FAILED ..." and the guest powers off all the same.
BB=/vmtest/busybox
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

off() {
	$BB sync
	$BB poweroff -f
	while :; do $BB sleep 60; done
}
fail() {
	echo "vmtest: FAILED in init: $*"
	off
}
mnt() {	# mnt TYPE SOURCE DIR [OPTIONS]
	$BB mkdir -p "$3" 2>/dev/null
	$BB mount -t "$1" ${4:+-o "$4"} "$2" "$3" || fail "mount -t $1 $2 $3"
}

$BB mkdir -p /proc /sys /dev
$BB mount -t proc proc /proc
$BB mount -t sysfs sysfs /sys
$BB mount -t devtmpfs devtmpfs /dev
. /vmtest/config || fail "no /vmtest/config"
echo "vmtest: init at uptime $($BB cut -d' ' -f1 /proc/uptime)"

for m in $VM_MODULES; do
	$BB insmod "/vmtest/modules/$m.ko" || fail "insmod $m"
done

if [ "$VM_ROOT" = hostroot ]; then
	R=/newroot
	mnt 9p hostroot $R trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000
	mnt proc proc $R/proc
	mnt sysfs sysfs $R/sys
	mnt devtmpfs devtmpfs $R/dev
	mnt tmpfs tmpfs $R/run mode=755
else
	R=
	$BB mkdir -p /run
fi
# what the tests need: a writable /tmp, ptys, tracefs, debugfs, bpffs, cgroup2
mnt tmpfs tmpfs $R/tmp mode=1777
mnt devpts devpts $R/dev/pts newinstance,ptmxmode=0666,mode=620
[ -e $R/dev/ptmx ] || $BB ln -sf pts/ptmx $R/dev/ptmx
mnt tmpfs tmpfs $R/dev/shm mode=1777
mnt tracefs tracefs $R/sys/kernel/tracing
mnt debugfs debugfs $R/sys/kernel/debug
mnt bpf bpf $R/sys/fs/bpf
mnt cgroup2 cgroup2 $R/sys/fs/cgroup
mnt 9p out $R/run/vmtest-out trans=virtio,version=9p2000.L,msize=512000,cache=none
if [ -n "$VM_REPO" ]; then
	mnt 9p repo "$R$VM_REPO" trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000
fi
$BB hostname vmtest 2>/dev/null
# loopback, as any booted system has it (the net tests' 127.0.0.1 and ::1)
$BB ip link set lo up || fail "ip link set lo up"

echo "vmtest: userland ready at uptime $($BB cut -d' ' -f1 /proc/uptime)"
$BB env -i PATH="$PATH" HOME=/root TERM=dumb LANG=C.UTF-8 \
	$BB chroot ${R:-/} /bin/sh -c "cd $VM_CWD && exec $VM_RUN" </dev/null
rc=$?
echo "$rc" > $R/run/vmtest-out/init-status
echo "vmtest: guest done (runner exit $rc)"
$BB umount $R/run/vmtest-out 2>/dev/null
off
