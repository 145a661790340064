"""The command-line face of rpc/web_policy.py, the same on every command that serves HTTP."""

import sys

from rpc.web_policy import ANY, WebPolicy, check_binding


def add_web_policy_arguments(parser, signing: bool = False) -> None:
    parser.add_argument("--cors", action="append", default=[], metavar="ORIGIN",
                        help="let web pages of this origin call (scheme://host[:port], repeatable; '*' for any page, "
                             "which is warned about); none by default")
    parser.add_argument("--vhosts", action="append", default=[], metavar="NAME",
                        help="serve requests naming this host (repeatable; '*' for any); loopback names and "
                             "addresses are always served; required when binding to another address")
    parser.add_argument("--deny-extension-origins", action="store_true",
                        help="refuse browser extensions too (chrome-extension://, moz-extension://: how MetaMask "
                             "calls a local node), which are served by default")
    if signing:
        parser.add_argument("--allow-browser-signing", action="store_true",
                            help="let allowed web origins call the dev-only methods that spend or rewind "
                                 "(eth_sendTransaction, anvil_setBalance, evm_revert, …); off by default")


def web_policy_from_args(args, bind_host: str) -> WebPolicy:
    """The policy the arguments describe; raises rpc.web_policy.WebPolicyError (a ValueError) on a bad one."""
    policy = WebPolicy(cors_origins=tuple(args.cors), vhosts=tuple(args.vhosts),
                       allow_extension_origins=not args.deny_extension_origins,
                       allow_browser_signing=getattr(args, "allow_browser_signing", False))
    check_binding(bind_host, policy.vhosts)
    if ANY in policy.cors_origins:
        print("warning: --cors '*' lets every web page you open call this node", file=sys.stderr, flush=True)
    if ANY in policy.vhosts:
        print("warning: --vhosts '*' serves any Host name, so DNS rebinding is not stopped", file=sys.stderr,
              flush=True)
    return policy


def describe_web_policy(policy: WebPolicy) -> str:
    """One banner line: who may call besides local programs."""
    pages = ", ".join(policy.cors_origins) if policy.cors_origins else "none"
    parts = [f"web origins {pages}", "extensions " + ("allowed" if policy.allow_extension_origins else "refused")]
    if policy.allow_browser_signing:
        parts.append("BROWSER SIGNING ON (allowed origins may spend dev accounts)")
    return "; ".join(parts)
