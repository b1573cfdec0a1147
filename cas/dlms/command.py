"""``cas read``: read one attribute of one meter through the engine, print COSEM XML."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cas.registry import Meter


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--registry", required=True, help="meter registry YAML file")
    parser.add_argument("--db", default=None, help="invocation counter store (./cas.db)")
    parser.add_argument("--from", dest="start", help="range start (ISO 8601), profiles only")
    parser.add_argument("--to", dest="end", help="range end (ISO 8601), profiles only")
    parser.add_argument("device", help="system title (16 hex) or device id")
    parser.add_argument("class_id", type=int, help="COSEM interface class, e.g. 3 (register)")
    parser.add_argument("obis", help="logical name, e.g. 1.0.1.8.0.255")
    parser.add_argument("attribute", type=int, help="attribute index, e.g. 2 (value)")


def _moment(text: str, option: str) -> datetime:
    """``text`` as an aware date-time (UTC when it names no offset); ValueError if not ISO."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{option} {text!r} is not an ISO 8601 date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run(args: argparse.Namespace) -> int:
    """Exit status 0 on data, 1 when the meter failed or answered a data-access-result
    error, 2 for a usage error (registry, unknown device, date, OBIS, class or attribute,
    state file): a usage error is reported before any meter is contacted."""
    import asyncio

    from cas.cosem import CosemError, encode_apdu, get_request, range_access
    from cas.registry import Registry, RegistryError, UnknownDevice

    if (args.start is None) != (args.end is None):
        print("cas read: give both --from and --to, or neither", file=sys.stderr)
        return 2
    try:
        meter = Registry.from_file(args.registry).resolve(args.device)
        access = None
        if args.start is not None:
            start, end = _moment(args.start, "--from"), _moment(args.end, "--to")
            if start > end:
                raise ValueError(f"--from {args.start!r} is after --to {args.end!r}")
            access = range_access(start, end)
        request = get_request(args.class_id, args.obis, args.attribute, access=access)
    except (RegistryError, UnknownDevice, CosemError, ValueError) as error:
        print(f"cas read: {error}", file=sys.stderr)
        return 2
    try:
        apdu = encode_apdu(request)  # class id / attribute out of range
    except CosemError as error:
        print(f"cas read: the request cannot be encoded: {error}", file=sys.stderr)
        return 2
    return asyncio.run(_read(meter, apdu, args.db))


async def _read(meter: Meter, apdu: bytes, db: str | None) -> int:
    import sqlite3

    from lxml import etree

    from cas.cosem import CosemError, apdu_to_element, decode_apdu
    from cas.dlms import DlmsError, SessionPool, SqliteInvocationCounterStore
    from cas.gateway import default_db_path
    from generated import cosem

    path = db or default_db_path()
    try:
        store = SqliteInvocationCounterStore(path)
    except sqlite3.Error as error:  # a usage error too: --db (or $CAS_DB) names no usable file
        print(f"cas read: cannot open the state file {path}: {error}", file=sys.stderr)
        return 2
    pool = SessionPool(store)
    try:
        answer = decode_apdu(await pool.request(meter, apdu))
    except DlmsError as error:
        print(f"cas read: {error}", file=sys.stderr)
        return 1
    except CosemError as error:
        print(f"cas read: the meter's answer cannot be decoded: {error}", file=sys.stderr)
        return 1
    finally:
        await pool.close()
        await pool.store.close()
    print(etree.tostring(apdu_to_element(answer), pretty_print=True, encoding="unicode"), end="")
    normal = getattr(answer, "choice", None)
    outcome = getattr(getattr(normal, "result", None), "data_or_data_access_result", None)
    if isinstance(outcome, cosem.DataAccessResult | int):
        name = outcome.value if isinstance(outcome, cosem.DataAccessResult) else outcome
        print(f"cas read: the meter answered data-access-result {name}", file=sys.stderr)
        return 1
    return 0
