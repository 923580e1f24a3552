"""``xltool serve`` (the web console and the department pages) and ``xltool portal
links|revoke`` (the departments' links). Parsing and printing only; the work is in
:mod:`xltool.web`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from xltool.cli.common import (
    CONTEXT,
    I18nCommand,
    I18nGroup,
    campaign_option,
    key_option,
    open_campaign,
    say,
)
from xltool.errors import XltoolError
from xltool.i18n import current_lang


@click.command(cls=I18nCommand, context_settings=CONTEXT)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8470,
    show_default=True,
    help="Port (0: any free one).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; on any other than this machine's, other machines get the "
    "department pages only.",
)
@click.option(
    "--public-url",
    help="The address departments reach this server at (its TLS proxy), for their links; kept "
    "in portal.json.",
)
@click.option(
    "--portal", "portal_pages", is_flag=True, help="Also serve the department pages (/d/<token>)."
)
@campaign_option
@key_option
def serve(
    port: int,
    host: str,
    public_url: str | None,
    portal_pages: bool,
    campaign_dir: Path | None,
    key_file: Path | None,
) -> None:
    """Serve the campaign's web console (and, with --portal, each department's page).

    Prints the console's address with a random access token (XLTOOL_TOKEN sets it);
    opening it signs the browser in. The console answers this machine only; a
    department page answers its own link only. Ctrl-C stops the server.

    \b
    Examples:
      xltool serve
      xltool serve --portal --host 0.0.0.0 --public-url https://jx.example.gov.cn
    """
    from xltool.round.portal import public_url as kept_url
    from xltool.web.app import create_app
    from xltool.web.auth import new_token
    from xltool.web.server import configure_log, console_url, is_loopback, serve_app

    c = open_campaign(campaign_dir)
    key = c.key(key_file)
    url = kept_url(c, public_url)
    token = new_token()
    app = create_app(
        c, token=token, lang=current_lang(), portal_pages=portal_pages, public_url=url, key=key
    )
    if not is_loopback(host):
        _warn_open(host, portal_pages)

    def ready(actual: int) -> None:
        if app.state.web.public_url is None:
            app.state.web.public_url = console_url(host, actual, "").split("/?")[0]
        click.echo(console_url(host, actual, token))
        sys.stdout.flush()

    configure_log()
    try:
        serve_app(app, host, port, ready=ready)
    finally:
        app.state.web.close()
    say("xltool：已停止", "xltool: stopped", err=True)


def _warn_open(host: str, portal_pages: bool) -> None:
    say(
        f"注意：在 {host} 上监听。其他机器只能打开部门报送页面（/d/…），控制台只对本机开放。"
        "HTTPS 请交给反向代理（Caddy 或 nginx，见 docs/serve.md）。",
        f"note: listening on {host}. Other machines get the department pages (/d/…) only; "
        "the console answers this machine only. TLS belongs to a reverse proxy (Caddy or "
        "nginx: docs/serve.md).",
        err=True,
    )
    if not portal_pages:
        say(
            "未加 --portal：其他机器访问不到任何页面。",
            "without --portal, other machines get no page at all.",
            err=True,
        )


@click.group(cls=I18nGroup, context_settings=CONTEXT)
def portal() -> None:
    """Department links for xltool serve --portal: list them, revoke one.

    \b
    Examples:
      xltool portal links --public-url https://jx.example.gov.cn --format csv > links.csv
      xltool portal revoke D01
    """


@portal.command("links", context_settings=CONTEXT)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option(
    "--public-url", help="The address departments reach the server at [default: the one kept]."
)
@click.option(
    "--expires",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Last day the links work [default: 30 days after the deadline, at least 30 days].",
)
@campaign_option
@key_option
def portal_links(
    fmt: str,
    public_url: str | None,
    expires: Any,
    campaign_dir: Path | None,
    key_file: Path | None,
) -> None:
    """List each department's link, as CSV or JSON on stdout.

    A link is PUBLIC_URL/d/<token>, the token signed with the campaign's key and
    carrying the department and an expiry.
    """
    from xltool.checking.result import dumps
    from xltool.round.portal import portal_links as links_of
    from xltool.round.portal import public_url as kept_url

    c = open_campaign(campaign_dir)
    url = kept_url(c, public_url)
    if url is None:
        raise XltoolError(
            "请用 --public-url 给出各部门访问本服务器的地址（例如 https://jx.example.gov.cn）",
            "give --public-url: the address departments reach the server at",
        )
    links = links_of(c, url, key=c.key(key_file), until=expires.date() if expires else None)
    if fmt == "json":
        click.echo(dumps([link.to_json() for link in links]))
        return
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    zh = current_lang() == "zh"
    writer.writerow(
        ["部门编码", "部门名称", "链接", "有效期至"]
        if zh
        else ["code", "department", "url", "expires"]
    )
    writer.writerows([link.code, link.department, link.url, link.expires] for link in links)
    click.echo(out.getvalue(), nl=False)


@portal.command("revoke", context_settings=CONTEXT)
@click.argument("codes", nargs=-1, required=True)
@campaign_option
def portal_revoke(codes: tuple[str, ...], campaign_dir: Path | None) -> None:
    """Void every link made so far for these departments.

    `portal links` then gives each its new one.
    """
    from xltool.round.portal import revoke_link

    c = open_campaign(campaign_dir)
    for code in codes:
        revoke_link(c, code)
        say(
            f"{code}：原链接已作废，请用 xltool portal links 生成新链接",
            f"{code}: its links are void; xltool portal links gives the new one",
            err=False,
        )
