//! The floor for `bench/http_proxy.py`: a Pingora proxy that does nothing but forward
//! to one address (no routing, headers, metrics or logging), built with the same Pingora
//! version, allocator and server settings as litevite-gw. The distance between the two
//! is ours; the distance from this to nginx is Pingora's.
//!
//!     cargo run --release --example bare_pingora -- <listen> <upstream> [threads]

use async_trait::async_trait;
use pingora::prelude::HttpPeer;
use pingora::proxy::{http_proxy_service, ProxyHttp, Session};
use pingora::server::configuration::ServerConf;
use pingora::server::Server;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Bare {
    upstream: std::net::SocketAddr,
}

#[async_trait]
impl ProxyHttp for Bare {
    type CTX = ();

    fn new_ctx(&self) {}

    async fn upstream_peer(
        &self,
        _session: &mut Session,
        _ctx: &mut (),
    ) -> pingora::Result<Box<HttpPeer>> {
        Ok(Box::new(HttpPeer::new(self.upstream, false, String::new())))
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(upstream)) = (args.next(), args.next()) else {
        eprintln!("usage: bare_pingora <listen addr> <upstream addr> [threads]");
        std::process::exit(2);
    };
    let upstream = upstream.parse().expect("upstream must be ip:port");
    let threads = args
        .next()
        .map_or(2, |t| t.parse().expect("threads must be a number"));
    let conf = ServerConf {
        threads,
        ..ServerConf::default()
    };
    let mut server = Server::new_with_opt_and_conf(None, conf);
    server.bootstrap();
    let mut proxy = http_proxy_service(&server.configuration, Bare { upstream });
    proxy.add_tcp(&listen);
    server.add_service(proxy);
    server.run_forever();
}
