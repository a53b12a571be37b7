"""The command surface: fast --help without heavy imports, usage errors exit 2."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("duckdb", "numpy", "pandas", "langchain", "langchain_core", "openai", "httpx", "scipy")


def test_help_imports_no_heavy_module():
    probe = (
        "import sys\n"
        "from shopagent.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY:' + ','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.splitlines()[-1] == "HEAVY:"


def test_subcommand_help_is_light_too():
    probe = (
        "import sys\n"
        "from shopagent.cli import app\n"
        "for args in (['data', '--help'], ['sql', '--help']):\n"
        "    try:\n        app(args)\n    except SystemExit:\n        pass\n"
        f"print('HEAVY:' + ','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.splitlines()[-1] == "HEAVY:"


def test_a_usage_error_exits_2(cli):
    assert cli("sql").exit_code == 2
    assert cli("data", "import").exit_code == 2
    assert cli("no-such-command").exit_code == 2


def test_data_init_without_sample_is_a_usage_error(cli):
    result = cli("data", "init")
    assert result.exit_code == 2
    assert "--sample" in result.output
