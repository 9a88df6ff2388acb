"""Rules on the network inputs' CIDRs (vpc_cidr, private_subnet_cidrs, public_subnet_cidrs): Terraform
expressions of a CIDR's prefix and network address, and the rules on the subnet lists. Data and the standard
library only, like ``modules/inputs.py``."""
from modules.hcl import text
from modules.input_rules import Rule


def cidr_prefix(cidr: str) -> str:
    return f'tonumber(split("/", {cidr})[1])'


def is_network_cidr(cidr: str) -> str:
    """True when ``cidr`` is an IPv4 CIDR whose address is its network address."""
    return f'try(cidrhost({cidr}, 0) == split("/", {cidr})[0], false)'


def same_network(a: str, b: str, prefix: str) -> str:
    """True when addresses of CIDRs ``a`` and ``b`` fall in one /``prefix`` network."""
    network = '"{address}/{prefix}"'
    return (f"cidrhost({text(network, address=f'cidrhost({a}, 0)', prefix=prefix)}, 0) == "
            f"cidrhost({text(network, address=f'cidrhost({b}, 0)', prefix=prefix)}, 0)")


def subnet_list_rules(name: str) -> list:
    items = f"var.{name}"
    return [
        (f"alltrue([for c in {items} : {is_network_cidr('c')}])",
         text(name + " = {items} is invalid: each entry must be an IPv4 CIDR "
              "written with its network address, e.g. 10.0.0.0/20.", items=f"jsonencode({items})")),
        (f"length({items}) == 0 || length({items}) == var.az_count",
         text(name + " has {count} entries but az_count is {az_count}: give one CIDR per availability zone, "
              "or leave the list empty to derive them from vpc_cidr.", count=f"length({items})",
              az_count="var.az_count")),
        (f"alltrue([for c in {items} : try({cidr_prefix('c')} >= {cidr_prefix('var.vpc_cidr')} && "
         f"{same_network('c', 'var.vpc_cidr', cidr_prefix('var.vpc_cidr'))}, false)])",
         text(name + " = {items} is invalid: every subnet must lie inside vpc_cidr = {vpc_cidr}.",
              items=f"jsonencode({items})", vpc_cidr="var.vpc_cidr")),
    ]


def no_overlap_rule() -> Rule:
    cidrs = "concat(var.private_subnet_cidrs, var.public_subnet_cidrs)"
    prefix = f"min({cidr_prefix('a')}, {cidr_prefix('b')})"
    pair = text('"{a} and {b}"', a="a", b="b")
    overlapping = (f"[for i, a in {cidrs} : [for j, b in {cidrs} : {pair} "
                   f"if i < j && try({same_network('a', 'b', prefix)}, false)]]")
    return (
        f"length(flatten({overlapping})) == 0",
        text("private_subnet_cidrs and public_subnet_cidrs overlap: {pairs}. Every subnet needs its own address "
             "range.", pairs=f'join(", ", flatten({overlapping}))'),
    )
