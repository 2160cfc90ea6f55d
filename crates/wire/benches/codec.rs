//! Decode and encode a typical DISCOVER, REQUEST and ACK (captured from dhclient and dnsmasq),
//! with the `dhcproto` crate decoding and encoding the same bytes in the same run.
//!
//! Run: `cargo bench -p charrua-wire --bench codec`.

#![allow(missing_docs)] // criterion_group! generates an undocumented function

use std::hint::black_box;
use std::time::Duration;

use charrua_wire::Message;
use criterion::{criterion_group, criterion_main, Criterion};
use dhcproto::{Decodable, Decoder, Encodable};

const MESSAGES: [(&str, &[u8]); 3] = [
    (
        "discover",
        include_bytes!("../../../testdata/messages/discover.bin"),
    ),
    (
        "request",
        include_bytes!("../../../testdata/messages/request.bin"),
    ),
    ("ack", include_bytes!("../../../testdata/messages/ack.bin")),
];

fn decode(c: &mut Criterion) {
    for (name, bytes) in MESSAGES {
        let mut group = c.benchmark_group(format!("decode/{name}"));
        group.bench_function("charrua", |b| b.iter(|| Message::parse(black_box(bytes))));
        group.bench_function("charrua+typed", |b| {
            b.iter(|| {
                let msg = Message::parse(black_box(bytes)).ok()?;
                let typed = msg
                    .options
                    .iter()
                    .filter_map(|(code, _)| msg.options.value(code)?.ok());
                Some(typed.count())
            })
        });
        group.bench_function("dhcproto", |b| {
            b.iter(|| dhcproto::v4::Message::decode(&mut Decoder::new(black_box(bytes))))
        });
        group.finish();
    }
}

fn encode(c: &mut Criterion) {
    for (name, bytes) in MESSAGES {
        let ours = Message::parse(bytes).ok();
        let theirs = dhcproto::v4::Message::decode(&mut Decoder::new(bytes)).ok();
        let mut group = c.benchmark_group(format!("encode/{name}"));
        group.bench_function("charrua", |b| {
            b.iter(|| black_box(&ours).as_ref().map(Message::encode))
        });
        group.bench_function("dhcproto", |b| {
            b.iter(|| black_box(&theirs).as_ref().map(|m| m.to_vec()))
        });
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! { name = benches; config = config(); targets = decode, encode }
criterion_main!(benches);
