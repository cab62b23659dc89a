# shopfleet offline get-pip shim: a stand-in for the get-pip.py bootstrap script ansible-test downloads
# (ansible/ansible#77304).
#
# hacking/bootstrap.sh copies this file to ~/.ansible/test/cache/get_pip_<pip version>.py, where ansible-test
# looks before it tries to download https://ci-files.testing.ansible.com/ansible-test/get-pip-<version>.py,
# which machines without general internet access cannot reach. ansible-test runs it inside a fresh
# `--venv` virtual environment with the pip arguments it would give get-pip.py, e.g.
# `--disable-pip-version-check pip==25.2 --no-setuptools --no-wheel`.
from __future__ import annotations

import subprocess
import sys

# get-pip.py understands these flags, pip install does not.
GET_PIP_ONLY_FLAGS = frozenset(("--no-setuptools", "--no-wheel"))


def pip_install_arguments(argv: list[str]) -> list[str]:
    """Translate get-pip.py's command line into `pip install` arguments."""
    return [argument for argument in argv if argument not in GET_PIP_ONLY_FLAGS]


def main() -> int:
    """Seed pip from the interpreter's bundled wheel, then let it install what ansible-test asked for."""
    # ensurepip must run in a child process: run in-process it sets PIP_CONFIG_FILE=/dev/null, which hides
    # /etc/pip.conf (the CA bundle on proxied hosts) from the pip install below.
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
    return subprocess.call([sys.executable, "-m", "pip", "install"] + pip_install_arguments(sys.argv[1:]))


if __name__ == "__main__":
    sys.exit(main())
