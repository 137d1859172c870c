#!/usr/bin/env python3
"""Generates the configuration-loop benchmark input: a fleet, its templates, the rules that
assign them, and a running configuration per node.

    generate.py DIR [NODES]        (default: 10000 nodes)

Writes DIR/inventory/{locations,nodes,links}.json (μNet's import format), DIR/templates/bench/
(three cisco_ios templates of about 100 rendered lines each, using only what MiniJinja and
Jinja2 render alike), DIR/policies/assign.rules and DIR/running/<node>.cfg. A running config
is the node's intended configuration plus lines no template owns (users, crypto, banner, vty
lines), and for a third of the nodes some drift: a changed port description, a missing NTP
server, an extra BGP neighbour. Needs jinja2 (it renders the intended side once).
Deterministic: every run measures the same input.
"""

import json
import sys
import uuid
from pathlib import Path

import jinja2

NS = uuid.UUID("0b7f7f52-5b0e-4a51-9c55-3d1c2f6a8e41")

TEMPLATES = {
    "bench/base.j2": """\
{# Identity, services, time, logging and VLANs: the top-level sections rendered here. #}
hostname {{ node.name }}
ip domain name {{ node.domain }}
service timestamps debug datetime msec
service timestamps log datetime msec
service password-encryption
no ip http server
no ip http secure-server
ip ssh version 2
{% for server in node.custom_data.ntp_servers %}
ntp server {{ server }}
{% endfor %}
{% for host in node.custom_data.syslog_hosts %}
logging host {{ host }}
{% endfor %}
logging buffered 64000
snmp-server location {{ node.custom_data.site }}
snmp-server contact noc@example.net
{% for vlan in range(node.custom_data.vlan_base, node.custom_data.vlan_base + 40) %}
vlan {{ vlan }}
 name USERS-{{ vlan }}
{% endfor %}
""",
    "bench/ports.j2": """\
{# template-match: interface GigabitEthernet #}
{% for port in range(1, 21) %}
interface GigabitEthernet1/0/{{ port }}
 description {{ node.name }} access port {{ port }}
{% if port % 5 == 0 %}
 switchport mode trunk
 switchport trunk allowed vlan {{ node.custom_data.vlan_base }}-{{ node.custom_data.vlan_base + 9 }}
{% else %}
 switchport mode access
 switchport access vlan {{ node.custom_data.vlan_base + port }}
{% endif %}
{% endfor %}
""",
    "bench/routing.j2": """\
{# template-match: router #}
router ospf 1
 router-id {{ node.management_ip }}
 passive-interface default
 no passive-interface GigabitEthernet1/1/1
 no passive-interface GigabitEthernet1/1/2
 network {{ node.management_ip }} 0.0.0.0 area 0
router bgp {{ node.custom_data.bgp_asn }}
 bgp log-neighbor-changes
{% for peer in range(node.custom_data.bgp_peers) %}
 neighbor 10.255.{{ peer }}.1 remote-as {{ 65100 + peer }}
 neighbor 10.255.{{ peer }}.1 description upstream-{{ peer }}
{% endfor %}
 address-family ipv4
{% for peer in range(node.custom_data.bgp_peers) %}
  neighbor 10.255.{{ peer }}.1 activate
{% endfor %}
 exit-address-family
""",
}

RULES = """\
# Every bench node gets the three templates, in this order.
WHEN node.platform == "cisco_ios" THEN APPLY "bench/base.j2"
WHEN node.platform == "cisco_ios" THEN APPLY "bench/ports.j2"
WHEN node.platform == "cisco_ios" THEN APPLY "bench/routing.j2"
"""

# Lines of a real running configuration that no template owns.
UNOWNED_HEAD = """\
version 15.2
no service pad
boot-start-marker
boot-end-marker
enable secret 9 $9$abcdefghijklmnop$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ
username admin privilege 15 secret 9 $9$qrstuvwxyzabcdef$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ
aaa new-model
crypto pki trustpoint TP-self-signed-1234567890
 enrollment selfsigned
 revocation-check none
"""
UNOWNED_TAIL = """\
banner motd ^C
Authorised access only.
^C
line con 0
 logging synchronous
line vty 0 4
 transport input ssh
end
"""


def uid(kind, key):
    return str(uuid.uuid5(NS, f"{kind}:{key}"))


def node_record(i, site_ids):
    site = i % len(site_ids)
    return {
        "id": uid("node", str(i)),
        "name": f"acc-{i:05d}",
        "domain": "bench.example.net",
        "vendor": "cisco",
        "platform": "cisco_ios",
        "model": "C9300-24T",
        "role": "access",
        "status": "active",
        "location_id": site_ids[site],
        "management_ip": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",
        "custom_data": {
            "site": f"site-{site:02d}",
            "ntp_servers": ["10.0.0.1", "10.0.0.2"],
            "syslog_hosts": ["10.0.1.10", "10.0.1.11"],
            "vlan_base": 100 + (i % 10) * 100,
            "bgp_asn": 64512 + i % 1000,
            "bgp_peers": 30,
        },
    }


def drift(i, intended):
    """A third of the nodes drifted from their intent, each in one of three ways."""
    if i % 3:
        return intended
    kind = (i // 3) % 3
    if kind == 0:
        return intended.replace(" access port 7\n", " access port 7 (patched by hand)\n", 1)
    if kind == 1:
        return intended.replace("ntp server 10.0.0.2\n", "", 1)
    return intended.replace(
        " address-family ipv4\n",
        " neighbor 192.0.2.1 remote-as 64999\n address-family ipv4\n",
        1,
    )


def main():
    out = Path(sys.argv[1])
    n_nodes = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    for sub in ("inventory", "templates/bench", "policies", "running"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    for name, text in TEMPLATES.items():
        (out / "templates" / name).write_text(text)
    (out / "policies" / "assign.rules").write_text(RULES)

    sites = [{"id": uid("location", str(s)), "name": f"Site {s:02d}", "kind": "site"}
             for s in range(10)]
    site_ids = [s["id"] for s in sites]
    nodes = [node_record(i, site_ids) for i in range(n_nodes)]
    (out / "inventory" / "locations.json").write_text(json.dumps(sites, indent=1) + "\n")
    (out / "inventory" / "nodes.json").write_text(json.dumps(nodes) + "\n")
    (out / "inventory" / "links.json").write_text("[]\n")

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    templates = [env.from_string(TEMPLATES[name]) for name in TEMPLATES]
    for i, node in enumerate(nodes):
        intended = "".join(t.render(node=node) for t in templates)
        running = UNOWNED_HEAD + drift(i, intended) + UNOWNED_TAIL
        (out / "running" / f"{node['name']}.cfg").write_text(running)


if __name__ == "__main__":
    main()
