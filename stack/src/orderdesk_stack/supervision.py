"""Running the stack's programs under supervisord: its config (generated from ProcessSpecs) and its XML-RPC."""

import configparser
import os
import shlex
import shutil
import subprocess
import sys
import xmlrpc.client
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supervisor.xmlrpc import SupervisorTransport

from orderdesk_stack.processes import ProcessSpec, wait_until

RUNNING_STATES = {"STARTING", "RUNNING", "BACKOFF", "STOPPING"}


@dataclass(frozen=True)
class RunLayout:
    """The files of one local stack, all under run_dir."""

    run_dir: Path

    @property
    def config(self) -> Path:
        return self.run_dir / "supervisord.conf"

    @property
    def socket(self) -> Path:
        return self.run_dir / "supervisor.sock"

    @property
    def pidfile(self) -> Path:
        return self.run_dir / "supervisord.pid"

    @property
    def log_dir(self) -> Path:
        return self.run_dir / "logs"

    def program_log(self, program: str) -> Path:
        return self.log_dir / f"{program}.log"

    @property
    def added_programs_dir(self) -> Path:
        """Programs added to the running daemon (extra service instances), one config file each."""
        return self.run_dir / "programs.d"

    def added_program_config(self, program: str) -> Path:
        return self.added_programs_dir / f"{program}.conf"


def render_config(layout: RunLayout, programs: Sequence[ProcessSpec], *, directory: Path) -> str:
    """supervisord.conf for these programs, started in list order and stopped in reverse."""
    sections = [
        _section("unix_http_server", file=layout.socket, chmod="0700"),
        _section(
            "supervisord",
            logfile=layout.log_dir / "supervisord.log",
            pidfile=layout.pidfile,
            childlogdir=layout.log_dir,
            directory=directory,
            identifier="orderdesk",
        ),
        _section(
            "rpcinterface:supervisor",
            **{"supervisor.rpcinterface_factory": "supervisor.rpcinterface:make_main_rpcinterface"},
        ),
        _section("supervisorctl", serverurl=f"unix://{layout.socket}"),
        _section("include", files=layout.added_programs_dir / "*.conf"),
    ]
    sections += [
        program_section(layout, program, directory=directory, priority=position * 10)
        for position, program in enumerate(programs, start=1)
    ]
    return "\n".join(sections)


def program_section(layout: RunLayout, program: ProcessSpec, *, directory: Path, priority: int) -> str:
    options: dict[str, Any] = {
        "command": _escape(shlex.join(program.command)),
        "directory": directory,
        "priority": priority,
        # `orderdesk up` starts programs itself, in order and only once each is needed.
        "autostart": "false",
        # A program that dies stays down: fault tests kill programs on purpose, and `restart` brings one back.
        "autorestart": "false",
        "startsecs": 1,
        "startretries": 0,
        "stopsignal": program.stop_signal.name.removeprefix("SIG"),
        "stopwaitsecs": int(program.stop_timeout),
        "stopasgroup": "true",
        "killasgroup": "true",
        "redirect_stderr": "true",
        "stdout_logfile": layout.program_log(program.name),
        "stdout_logfile_maxbytes": "20MB",
        "stdout_logfile_backups": 2,
    }
    if program.user:
        options["user"] = program.user
    if program.env:
        options["environment"] = _environment(program.env)
    return _section(f"program:{program.name}", **options)


def _section(name: str, **options: Any) -> str:
    return f"[{name}]\n" + "".join(f"{key}={value}\n" for key, value in options.items())


def _escape(value: str) -> str:
    """supervisord expands %(name)s in option values, so a literal % is written %%."""
    return value.replace("%", "%%")


def _environment(env: Mapping[str, str]) -> str:
    pairs = []
    for key, value in env.items():
        # supervisord's parser takes no escapes inside quotes.
        if '"' in value or "\n" in value:
            raise ValueError(f"{key} holds a quote or newline, which supervisord cannot pass on")
        pairs.append(f'{key}="{_escape(value)}"')
    return ",".join(pairs)


class Supervisor:
    """A supervisord daemon for one RunLayout, driven over its unix socket."""

    def __init__(self, layout: RunLayout) -> None:
        self.layout = layout

    def _rpc(self) -> Any:
        transport = SupervisorTransport(None, None, f"unix://{self.layout.socket}")
        # The host is ignored: the transport talks to the unix socket.
        return xmlrpc.client.ServerProxy("http://localhost", transport=transport).supervisor

    def is_running(self) -> bool:
        if not self.layout.socket.exists():
            return False
        try:
            return self._rpc().getState()["statename"] == "RUNNING"
        except (OSError, xmlrpc.client.Fault):
            return False

    def start_daemon(self, programs: Sequence[ProcessSpec], *, directory: Path, env: Mapping[str, str]) -> None:
        """Write the config and start supervisord in the background (no program starts yet)."""
        self.layout.log_dir.mkdir(parents=True, exist_ok=True)
        # Instances added to an earlier run's daemon are not this run's.
        shutil.rmtree(self.layout.added_programs_dir, ignore_errors=True)
        self.layout.added_programs_dir.mkdir()
        self.layout.config.write_text(render_config(self.layout, programs, directory=directory))
        subprocess.run(
            [sys.executable, "-m", "supervisor.supervisord", "-c", str(self.layout.config)],
            check=True,
            cwd=directory,
            env=dict(env),
        )
        wait_until(self.is_running, what="supervisord", timeout=20, log_path=self.layout.log_dir / "supervisord.log")

    def start(self, program: str) -> None:
        self._rpc().startProcess(program, False)

    def stop(self, program: str) -> None:
        if self.state(program) in RUNNING_STATES:
            self._rpc().stopProcess(program, True)

    def kill(self, program: str) -> None:
        if self.is_alive(program):
            self._rpc().signalProcess(program, "KILL")

    def signal(self, program: str, signal_name: str) -> None:
        """Send a signal (by name without SIG, e.g. "STOP") to a running program's process."""
        self._rpc().signalProcess(program, signal_name)

    def add_program(self, program: ProcessSpec, *, directory: Path) -> None:
        """Add a program to the running daemon, as `supervisorctl update` would after a config edit; not started."""
        config = self.layout.added_program_config(program.name)
        if config.exists():
            raise ValueError(f"program {program.name!r} was already added")
        config.write_text(program_section(self.layout, program, directory=directory, priority=999))
        rpc = self._rpc()
        rpc.reloadConfig()
        rpc.addProcessGroup(program.name)

    def remove_program(self, program: str) -> None:
        """Stop an added program and take it out of the daemon."""
        config = self.layout.added_program_config(program)
        if not config.exists():
            raise KeyError(f"{program!r} is not an added program")
        self.stop(program)
        self._rpc().removeProcessGroup(program)
        config.unlink()

    def added_program_command(self, program: str) -> list[str]:
        config = configparser.RawConfigParser()
        config.read(self.layout.added_program_config(program))
        return shlex.split(config[f"program:{program}"]["command"])

    def state(self, program: str) -> str:
        return self._rpc().getProcessInfo(program)["statename"]

    def is_alive(self, program: str) -> bool:
        return self.state(program) in RUNNING_STATES

    def processes(self) -> list[dict[str, Any]]:
        return self._rpc().getAllProcessInfo()

    def shutdown(self) -> None:
        """Stop every program (in reverse start order) and then supervisord itself."""
        rpc = self._rpc()
        rpc.stopAllProcesses(True)
        pid = int(self.layout.pidfile.read_text()) if self.layout.pidfile.exists() else None
        rpc.shutdown()
        if pid is not None:
            wait_until(
                lambda: not _pid_alive(pid),
                what="supervisord shutdown",
                timeout=30,
                log_path=self.layout.log_dir / "supervisord.log",
            )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
