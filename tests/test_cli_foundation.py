from __future__ import annotations

from pathlib import Path

from tests.conftest import REDIS_URL, run_farm


def test_version_and_help_list_the_commands(farm_home: Path) -> None:
    version = run_farm("--version")
    assert version.returncode == 0 and "farm, version" in version.stdout
    helptext = run_farm("--help")
    assert helptext.returncode == 0
    for name in ("db", "doctor"):
        assert name in helptext.stdout


def test_db_upgrade_creates_the_embedded_sqlite_database(farm_home: Path) -> None:
    result = run_farm("db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert (farm_home / "farm.db").exists()
    assert "is at" in result.stdout


def test_db_upgrade_against_real_postgres(farm_home: Path, pg_url: str) -> None:
    result = run_farm("--database-url", pg_url, "db", "upgrade")
    assert result.returncode == 0, result.stderr


def test_unreachable_database_gives_one_line_and_nonzero_exit(farm_home: Path) -> None:
    result = run_farm(
        "db", "upgrade", env={"FARM_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x"}
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("farm: error: database error")


def test_invalid_setting_gives_one_line_and_nonzero_exit(farm_home: Path) -> None:
    result = run_farm("db", "upgrade", env={"FARM_LEASE_SECONDS": "soon"})
    assert result.returncode == 2
    assert (
        result.stderr.strip().splitlines() == [result.stderr.strip()]
        and "FARM_LEASE_SECONDS" in result.stderr
    )


def test_doctor_reports_real_postgres_and_redis_ok(farm_home: Path, pg_url: str) -> None:
    result = run_farm("doctor", env={"FARM_DATABASE_URL": pg_url, "FARM_BROKER_URL": REDIS_URL})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok      database postgresql+psycopg://" in result.stdout
    assert "ok      broker redis://" in result.stdout


def test_doctor_reports_an_unreachable_broker_as_failed(farm_home: Path) -> None:
    result = run_farm("doctor", env={"FARM_BROKER_URL": "redis://127.0.0.1:1/0"})
    assert result.returncode == 1
    assert "failed  broker redis://127.0.0.1:1/0: unreachable" in result.stdout


def test_usage_errors_are_one_line_with_a_pointer_to_help(farm_home: Path) -> None:
    cases = [
        (("run", "--shard-size", "abc"), "'--shard-size': 'abc' is not a valid integer", "run"),
        (("leaderboard", "--format", "nope"), "'--format': 'nope' is not one of", "leaderboard"),
        (("no-such-command",), "No such command 'no-such-command'", ""),
        (("db", "upgrade", "--bogus"), "No such option '--bogus'", "db upgrade"),
    ]
    for args, message, command in cases:
        result = run_farm(*args)
        assert result.returncode == 2, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (args, result.stderr)
        assert lines[0].startswith("farm: error: ") and message in lines[0], lines[0]
        assert lines[0].endswith(f"(see '{' '.join(['farm', command]).strip()} --help')")


def test_a_group_named_alone_prints_its_help(farm_home: Path) -> None:
    result = run_farm("db")
    assert result.returncode == 2
    assert "Commands:" in result.stderr and "upgrade" in result.stderr


def test_simulator_options_out_of_range_nan_or_infinite_name_the_option(
    farm_home: Path,
) -> None:
    cases = [
        (("demo", "--latency", "-1"), "demo: --latency: Input should be greater than or equal"),
        (("demo", "--latency", "nan"), "demo: --latency: Input should be a finite number"),
        (("demo", "--wrong-rate", "inf"), "demo: --wrong-rate: Input should be a finite number"),
        (("demo", "--slots", "0"), "demo: --slots: Input should be greater than or equal to 1"),
        (("demo", "--concurrency", "-3"), "demo: --concurrency must be at least 1"),
        (("simulate", "--per-token", "nan"), "simulate: --per-token: Input should be a finite"),
        (("simulate", "--faults", "bogus"), "simulate: --faults: Input should be '5xx'"),
    ]
    from click.testing import CliRunner

    from farm.cli.main import cli

    for args, message in cases:  # in-process: seven interpreters would take 10 s
        result = CliRunner().invoke(cli, list(args))
        assert result.exit_code == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"farm: error: {message}"), lines
    # Nothing was loaded: the options are checked before the suite is pulled.
    assert not (farm_home / "farm.db").exists()


def test_leaderboard_help_names_every_file_bfcl_csv_writes(farm_home: Path) -> None:
    helptext = run_farm("leaderboard", "--help")
    assert helptext.returncode == 0
    text = " ".join(helptext.stdout.split())
    for name in ("overall", "non_live", "live", "multi_turn", "agentic", "format_sensitivity"):
        assert f"data_{name}.csv" in text, name
