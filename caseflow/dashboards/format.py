"""Numbers as the dashboards print them."""


def indian_number(n: int) -> str:
    """Indian digit grouping: 1234567 → '12,34,567' (lakh and crore), the way counts are read here.

    caseflow has no shared filter for it yet; when one lands, this is its one caller to switch.
    """
    sign, digits = ("-", str(-n)) if n < 0 else ("", str(n))
    if len(digits) <= 3:
        return sign + digits
    head, tail = digits[:-3], digits[-3:]
    groups = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    return sign + ",".join(groups + [tail])
