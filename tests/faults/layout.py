"""layout.py - the record paths the fault tests read, from the daemon's own
source of them: the layout table in include/zkswarm/records.h.

    from layout import path
    path("/volumes/<name>/leases/<node>", root, name="v1", node="n1")
        -> "/zkswarm/volumes/v1/leases/n1"

A template that is neither in the table nor a parent of one there raises, so a change of the layout breaks
the checker loudly instead of making it read places nobody writes.
"""
import os
import re

_HEADER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                       "include", "zkswarm", "records.h")


def templates(header=_HEADER):
    """The paths of the layout table, in order."""
    out, inside = [], False
    with open(header) as f:
        for line in f:
            if line.strip() == "* layout:":
                inside = True
            elif line.strip() == "* end of layout.":
                break
            elif inside:
                m = re.match(r"^ \*\s+(/\S*)", line)
                if m:
                    out.append(m.group(1))
    if not out:
        raise RuntimeError("no layout table in %s" % header)
    return out


def _with_parents(paths):
    """Every template and each of its parents (/volumes of /volumes/<name>)."""
    out = set()
    for t in paths:
        parts = t.split("/")
        out.update("/".join(parts[:i]) for i in range(2, len(parts) + 1))
    return out


_KNOWN = _with_parents(templates())


def path(template, root="", **values):
    """ROOT + TEMPLATE with each <placeholder> replaced by its value (keys are
    the placeholder's name with non-word characters dropped: <a.b.c.d-len> is
    abcdlen, <ip> is ip)."""
    if template not in _KNOWN:
        raise KeyError("%s is not in records.h's layout table" % template)

    def value(m):
        key = re.sub(r"\W", "", m.group(1))
        return str(values[key])
    return root + re.sub(r"<([^>]+)>", value, template)
