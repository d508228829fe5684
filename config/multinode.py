"""The configuration of HAProxy and PgBouncer for more than one web node (docs/scaling.md).

One source for both places that run them: `make stack NODES=3` (ops/stack.sh calls this module) and the
node-kill fault drill (tests/faults/test_nodes.py imports it). No Django here: it only writes text.

    python -m config.multinode haproxy FRONT_PORT NODE_PORT… [--maxconn N]  > haproxy.cfg
    python -m config.multinode pgbouncer LISTEN_PORT PG_HOST PG_PORT USERLIST   > pgbouncer.ini
"""

import argparse
import sys


def haproxy_cfg(front_port: int, node_ports: list[int], maxconn_per_node: int = 16, host: str = "127.0.0.1") -> str:
    """HAProxy on one front port, balancing the gunicorn nodes with nothing sticky: any node serves any request
    (sessions live in PostgreSQL and Redis), so a node that dies only moves its candidates to the others."""
    servers = "\n".join(f"    server node{n} {host}:{port} check" for n, port in enumerate(node_ports, start=1))
    backups = "\n".join(
        f"    server node{n}-unchecked {host}:{port} backup" for n, port in enumerate(node_ports, start=1)
    )
    return f"""# Written by config/multinode.py; regenerated at every start.
global
    maxconn 8192
    log stderr format raw local0 warning

defaults
    mode http
    log global
    option dontlognull
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout queue 30s
    timeout check 5s
    option forwardfor
    # A request that found a node dead (refused, or taken and never answered because the node was killed)
    # is sent again to another node, up to three times.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response

frontend moshi
    bind {host}:{front_port}
    # Only requests that are safe to send twice are re-sent after a node took them: reads, and autosave,
    # whose conditional UPDATE on the sequence number keeps a repeat harmless. Any other POST that reached a
    # node is answered 502 instead, and the browser decides (exam.js re-sends a submit; a start shows the error).
    http-request disable-l7-retry if !METH_GET !METH_HEAD !{{ path_end /save }}
    default_backend web

backend web
    balance leastconn
    # HAProxy compresses (libslz: a fraction of zlib's CPU), so the Python workers do not (GZIP_IN_APP=false):
    # the 440 KB exam page cost a worker ~5 ms of gzip per start.
    compression algo gzip
    compression type text/html text/css text/javascript application/javascript application/json
    # Which node answered (its name, not its address): for the logs, the fault drill and an operator's curl -i.
    http-response set-header X-Moshi-Node %s
    # /healthz answers 503 when PostgreSQL or Redis is down; that is the same for every node, and taking all
    # of them out would turn a Redis restart (which candidates work through) into an outage. So a node is
    # healthy when its Django answers /healthz at all. A killed node refuses the check at once and is out within
    # two seconds (its requests meanwhile are re-sent, above); a node merely slow under an exam-start crowd gets
    # five seconds a check and three chances, and its requests in progress are left to finish even if it is
    # marked down: cutting them would turn an overload into errors.
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host {host}
    http-check expect rstatus ^(200|503)$
    default-server inter 1s fastinter 500ms fall 3 rise 2 maxconn {maxconn_per_node}
{servers}
    # When the checks have marked every node down (each busy past the check's five seconds under a start crowd,
    # or still booting), the same nodes unchecked rather than a 503 for everyone: a node that is really gone
    # refuses the connection, and the request is re-sent to another (retries and redispatch above).
    option allbackups
{backups}
"""


def pgbouncer_ini(listen_port: int, pg_host: str, pg_port: int, userlist: str, pool_size: int = 20) -> str:
    """PgBouncer in transaction pooling: every web thread and Celery process keeps a cheap connection to it,
    and only `pool_size` server connections per database reach PostgreSQL, each lent for one transaction."""
    return f"""; Written by config/multinode.py; regenerated at every start.
[databases]
* = host={pg_host} port={pg_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen_port}
unix_socket_dir =
; Loopback only, as PostgreSQL's own trust on 127.0.0.1; the user must still be listed in auth_file.
auth_type = trust
auth_file = {userlist}
admin_users = postgres
pool_mode = transaction
max_client_conn = 2000
default_pool_size = {pool_size}
reserve_pool_size = 5
; psycopg2 sends none of these, but other clients (psql, drivers) may.
ignore_startup_parameters = extra_float_digits,options
; After PostgreSQL restarts, try again within a second instead of the default 15.
server_login_retry = 1
query_wait_timeout = 30
log_connections = 0
log_disconnections = 0
"""


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m config.multinode")
    sub = parser.add_subparsers(dest="what", required=True)
    ha = sub.add_parser("haproxy")
    ha.add_argument("front_port", type=int)
    ha.add_argument("node_ports", type=int, nargs="+")
    ha.add_argument("--maxconn", type=int, default=16)
    pgb = sub.add_parser("pgbouncer")
    pgb.add_argument("listen_port", type=int)
    pgb.add_argument("pg_host")
    pgb.add_argument("pg_port", type=int)
    pgb.add_argument("userlist")
    pgb.add_argument("--pool-size", type=int, default=20)
    args = parser.parse_args(argv)
    if args.what == "haproxy":
        sys.stdout.write(haproxy_cfg(args.front_port, args.node_ports, args.maxconn))
    else:
        sys.stdout.write(pgbouncer_ini(args.listen_port, args.pg_host, args.pg_port, args.userlist, args.pool_size))


if __name__ == "__main__":
    main(sys.argv[1:])
