"""Ports handed out under a file lock: never twice, never one that is in use."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from farm.errors import ServingError
from workers.serving.ports import port_in_use, reserve_port

RESERVE_MANY = """
import json, sys
from pathlib import Path
from workers.serving.ports import reserve_port
leases = [reserve_port(Path(sys.argv[1]), owner=sys.argv[2]) for _ in range(15)]
print(json.dumps([lease.port for lease in leases]))
"""


def test_concurrent_launches_on_one_host_never_get_the_same_port(run_dir):
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RESERVE_MANY, str(run_dir), f"worker{i}"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(3)
    ]
    ports = [port for p in procs for port in json.loads(p.communicate(timeout=60)[0])]
    assert len(ports) == 45 and len(set(ports)) == 45


def test_a_reservation_of_a_dead_process_is_reclaimed(run_dir):
    run_dir.mkdir(parents=True)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (run_dir / "ports.json").write_text(
        json.dumps({str(port): {"pid": int(dead.stdout), "owner": "gone", "at": 0}})
    )
    lease = reserve_port(run_dir, owner="me", port=port)
    assert lease.port == port
    table = json.loads((run_dir / "ports.json").read_text())
    assert table[str(port)]["owner"] == "me"
    lease.release()
    assert str(port) not in json.loads((run_dir / "ports.json").read_text())


def test_a_port_held_by_a_live_reservation_or_a_listener_is_refused(run_dir):
    lease = reserve_port(run_dir, owner="first")
    with pytest.raises(ServingError, match=f"port {lease.port} is reserved by first"):
        reserve_port(run_dir, owner="second", port=lease.port)
    lease.release()
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        busy = listener.getsockname()[1]
        assert port_in_use(busy)
        with pytest.raises(ServingError, match=f"port {busy} is already in use"):
            reserve_port(run_dir, owner="x", port=busy)


def test_old_server_logs_of_a_slot_are_pruned(tmp_path):
    import os

    from workers.serving.host import prune_logs

    for i in range(25):
        log = tmp_path / f"gpu0-202601{i:02d}-120000-abc123.log"
        log.write_text("x")
        os.utime(log, (i, i))
    (tmp_path / "gpu0-1-20260101-120000-abc123.log").write_text("x")  # TP slot gpu0-1
    prune_logs(tmp_path, "gpu0", keep=5)
    left = sorted(p.name for p in tmp_path.glob("gpu0-2*.log"))
    assert left == [f"gpu0-202601{i:02d}-120000-abc123.log" for i in range(21, 25)]
    assert (tmp_path / "gpu0-1-20260101-120000-abc123.log").exists()
