# SPDX-License-Identifier: GPL-2.0
"""
kscope container's NAME: read where a file says it, never from a runtime's
socket or a process's environment: docker's containers/ID/config.v2.json
(its "Name"), and the links the kubelet makes in /var/log/containers
(POD_NAMESPACE_CONTAINER-ID.log, for every runtime). Their roots are moved
here with KSCOPE_DOCKER_ROOT and KSCOPE_POD_LOGS (as a host that moved them
would), so that the host's own are never written.
"""
import json
import os
import secrets
import shutil
import time

from conftest import cgroup2_mount
from test_container import rows_by_container


def test_container_names(kscope, tmp_path):
    root = cgroup2_mount()
    made = not os.path.isdir(os.path.join(root, "system.slice"))
    if made:
        os.mkdir(os.path.join(root, "system.slice"))
    web, pod, anon = (secrets.token_hex(32) for _ in range(3))
    dirs = [os.path.join(root, "system.slice", f"{r}-{i}.scope")
            for r, i in (("docker", web), ("cri-containerd", pod), ("docker", anon))]
    docker = tmp_path / "docker"
    (docker / "containers" / web).mkdir(parents=True)
    (docker / "containers" / web / "config.v2.json").write_text(json.dumps(
        {"StreamConfig": {}, "State": {"Running": True}, "ID": web, "Name": "/web-1",
         "Config": {"Env": ["SECRET=never-read"]}}))
    logs = tmp_path / "pods"
    logs.mkdir()
    (logs / f"shop-7d9f_prod_nginx-{pod}.log").symlink_to("/dev/null")
    try:
        for d in dirs:
            os.mkdir(d)
        res = kscope.command("container").run(
            ["-d", "1"], env={"KSCOPE_DOCKER_ROOT": str(docker), "KSCOPE_POD_LOGS": str(logs)})
    finally:
        for d in dirs:
            for _ in range(100):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
        if made:
            os.rmdir(os.path.join(root, "system.slice"))
        shutil.rmtree(docker)
    assert res.rc == 0, res
    rows = rows_by_container(res)
    assert (rows[web]["name"], rows[web]["runtime"]) == ("web-1", "docker"), rows[web]
    assert (rows[pod]["name"], rows[pod]["runtime"]) == ("prod/shop-7d9f/nginx", "containerd"), \
        rows[pod]
    assert rows[anon]["name"] is None, rows[anon]
    assert rows["host"]["name"] is None, rows["host"]
    assert "never-read" not in open(res.out).read()
