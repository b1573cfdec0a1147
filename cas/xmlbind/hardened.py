"""The one lxml parser configuration the gateway parses XML with.

No DTD is loaded, no entity is expanded, nothing is fetched from the network, huge_tree is
off, comments and processing instructions are dropped. lxml parsers must not be shared
between threads: each thread gets its own.
"""

from __future__ import annotations

import threading

from lxml import etree

_local = threading.local()


def hardened_parser() -> etree.XMLParser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
        )
    return parser
