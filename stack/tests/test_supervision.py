"""The generated supervisord.conf means to supervisord what the ProcessSpecs say."""

import signal
from pathlib import Path

from supervisor.options import ServerOptions

from orderdesk_stack.processes import ProcessSpec
from orderdesk_stack.supervision import RunLayout, program_section, render_config


def parsed_programs(config: Path) -> dict:
    options = ServerOptions()
    options.realize(args=["-c", str(config)])
    return {group.name: group.process_configs[0] for group in options.process_group_configs}


def test_programs_reach_supervisord_verbatim_in_order(tmp_path: Path) -> None:
    layout = RunLayout(tmp_path)
    layout.log_dir.mkdir()
    first = ProcessSpec(name="postgres", command=("postgres", "-D", "/data dir"), stop_signal=signal.SIGINT)
    second = ProcessSpec(
        name="intake",
        command=("python", "-m", "uvicorn", "--port", "8001"),
        env={"INTAKE_DATABASE_URL": "postgresql+asyncpg://intake:p%40ss,word@127.0.0.1:5433/orderdesk"},
    )
    layout.config.write_text(render_config(layout, [first, second], directory=tmp_path))

    programs = parsed_programs(layout.config)

    assert programs["postgres"].command == "postgres -D '/data dir'"
    assert programs["postgres"].stopsignal == signal.SIGINT
    assert programs["intake"].environment == {
        "INTAKE_DATABASE_URL": "postgresql+asyncpg://intake:p%40ss,word@127.0.0.1:5433/orderdesk"
    }
    assert programs["postgres"].priority < programs["intake"].priority
    assert not programs["intake"].autostart
    assert programs["intake"].autorestart is False
    assert programs["intake"].stdout_logfile == str(layout.program_log("intake"))


def test_a_program_added_later_is_read_from_the_include_dir(tmp_path: Path) -> None:
    layout = RunLayout(tmp_path)
    layout.log_dir.mkdir()
    layout.added_programs_dir.mkdir()
    intake = ProcessSpec(name="intake", command=("python", "-m", "uvicorn", "--port", "8001"))
    layout.config.write_text(render_config(layout, [intake], directory=tmp_path))
    second = ProcessSpec(name="intake-2", command=("python", "-m", "uvicorn", "--port", "24555"))
    section = program_section(layout, second, directory=tmp_path, priority=999)
    layout.added_program_config("intake-2").write_text(section)

    programs = parsed_programs(layout.config)

    assert programs["intake-2"].command == "python -m uvicorn --port 24555"
    assert programs["intake-2"].autorestart is False
    assert programs["intake"].priority < programs["intake-2"].priority
