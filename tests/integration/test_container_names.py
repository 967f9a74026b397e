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
import secrets

from test_container import fake_container, rows_by_container


def test_container_names(kscope, tmp_path):
    web, pod, anon = (secrets.token_hex(32) for _ in range(3))
    docker = tmp_path / "docker"
    (docker / "containers" / web).mkdir(parents=True)
    (docker / "containers" / web / "config.v2.json").write_text(json.dumps(
        {"StreamConfig": {}, "State": {"Running": True}, "ID": web, "Name": "/web-1",
         "Config": {"Env": ["SECRET=never-read"]}}))
    logs = tmp_path / "pods"
    logs.mkdir()
    (logs / f"shop-7d9f_prod_nginx-{pod}.log").symlink_to("/dev/null")
    with fake_container(rel=f"/system.slice/docker-{web}.scope"), \
            fake_container(rel=f"/system.slice/cri-containerd-{pod}.scope"), \
            fake_container(rel=f"/system.slice/docker-{anon}.scope"):
        res = kscope.command("container").run(
            ["-d", "1"], env={"KSCOPE_DOCKER_ROOT": str(docker), "KSCOPE_POD_LOGS": str(logs)})
    assert res.rc == 0, res
    rows = rows_by_container(res)
    assert (rows[web]["name"], rows[web]["runtime"]) == ("web-1", "docker"), rows[web]
    assert (rows[pod]["name"], rows[pod]["runtime"]) == ("prod/shop-7d9f/nginx", "containerd"), \
        rows[pod]
    assert rows[anon]["name"] is None, rows[anon]
    assert rows["host"]["name"] is None, rows["host"]
    assert "never-read" not in open(res.out).read()
