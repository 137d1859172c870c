# shellcheck shell=bash
# Installs what the test suite and the benchmarks need on a fresh Debian machine.
# Idempotent: a second run installs nothing.

ensure_packages() {
    local missing=()
    command -v sqlite3 >/dev/null || missing+=(sqlite3)
    command -v jq >/dev/null || missing+=(jq)
    command -v git >/dev/null || missing+=(git)
    command -v curl >/dev/null || missing+=(curl)
    command -v openssl >/dev/null || missing+=(openssl)
    # Git sync over ssh runs the OpenSSH client; its tests serve repositories with sshd.
    command -v ssh >/dev/null || missing+=(openssh-client)
    [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
    command -v shellcheck >/dev/null || missing+=(shellcheck)
    command -v pg_dump >/dev/null || missing+=(postgresql-client)
    [ -n "$(find /usr/lib/postgresql -maxdepth 3 -name initdb 2>/dev/null)" ] || missing+=(postgresql)
    # SNMP polling is tested against net-snmp's agent; its tools tell when an agent is up.
    [ -x /usr/sbin/snmpd ] || missing+=(snmpd)
    command -v snmpget >/dev/null || missing+=(snmp)
    # The recordings of real devices that snmpsim serves ship bzip2-compressed.
    command -v bzip2 >/dev/null || missing+=(bzip2)
    /usr/bin/python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing: ${missing[*]}"
        if [ "$(id -u)" != 0 ]; then
            echo "missing packages (${missing[*]}); install them or run as root" >&2
            return 1
        fi
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# A venv at .venv with the reference tools the differential tests and benchmarks compare
# against, and schemathesis, which fuzzes the live API from its OpenAPI document.
ensure_python_tools() {
    local venv=.venv
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv"
    fi
    if ! "$venv/bin/python" -c 'import hier_config' 2>/dev/null; then
        "$venv/bin/pip" install -q --disable-pip-version-check 'hier_config==3.7.1'
    fi
    # The configuration-loop benchmark's peer renders with Jinja2.
    if ! "$venv/bin/python" -c 'import jinja2' 2>/dev/null; then
        "$venv/bin/pip" install -q --disable-pip-version-check 'jinja2==3.1.6'
    fi
    if [ ! -x "$venv/bin/schemathesis" ]; then
        "$venv/bin/pip" install -q --disable-pip-version-check 'schemathesis==4.32.5'
    fi
}

# snmpsim, which answers as many devices from recordings of real ones (snmpsim-data), in its
# own venv from Debian's python3: the version its pinned pysnmp was verified with here.
ensure_snmpsim() {
    local venv=.venv-snmpsim
    if [ ! -x "$venv/bin/snmpsim-command-responder" ] || ! "$venv/bin/python" -c 'import snmpsim_data' 2>/dev/null; then
        /usr/bin/python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check \
            'snmpsim==1.2.2' 'snmpsim-data==1.0.1' 'pysnmp==7.1.30' 'pysmi==1.6.3' 'cryptography==51.0.1'
    fi
}
