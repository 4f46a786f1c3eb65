//! The response body: a whole buffer, or a stream of frames for watches.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::Frame;
use tokio::sync::mpsc;

pub type Body = BoxBody<Bytes, Infallible>;

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

/// A body fed by a bounded channel; dropping the sender ends it.
pub fn channel(capacity: usize) -> (mpsc::Sender<Bytes>, Body) {
    let (tx, rx) = mpsc::channel::<Bytes>(capacity);
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, Infallible>(Frame::data(b)), rx))
    });
    (tx, StreamBody::new(stream).boxed())
}

/// A JSON document streamed in chunks of about 64 KiB: `head`, the `items` joined by
/// commas, then `tail`. The items are copied into each chunk as it is sent, so a
/// large list never sits in memory twice.
pub fn json_array(head: Bytes, items: Vec<Bytes>, tail: &'static [u8]) -> Body {
    let chunks = JsonArray {
        head: Some(head),
        items: items.into_iter(),
        first: true,
        tail: Some(tail),
    };
    StreamBody::new(futures::stream::iter(
        chunks.map(|b| Ok::<_, Infallible>(Frame::data(b))),
    ))
    .boxed()
}

const CHUNK: usize = 64 * 1024;

struct JsonArray {
    head: Option<Bytes>,
    items: std::vec::IntoIter<Bytes>,
    first: bool,
    tail: Option<&'static [u8]>,
}

impl Iterator for JsonArray {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        let mut buf = Vec::with_capacity(CHUNK + 1024);
        if let Some(h) = self.head.take() {
            buf.extend_from_slice(&h);
        }
        while buf.len() < CHUNK {
            match self.items.next() {
                Some(item) => {
                    if !std::mem::take(&mut self.first) {
                        buf.push(b',');
                    }
                    buf.extend_from_slice(&item);
                }
                None => {
                    if let Some(t) = self.tail.take() {
                        buf.extend_from_slice(t);
                    }
                    break;
                }
            }
        }
        (!buf.is_empty()).then(|| Bytes::from(buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn json_array_joins_items_across_chunks() {
        for n in [0usize, 1, 2, 3000] {
            let items: Vec<Bytes> = (0..n)
                .map(|i| Bytes::from(format!("{{\"i\":{i},\"pad\":\"{}\"}}", "x".repeat(i % 97))))
                .collect();
            let body = json_array(Bytes::from_static(b"{\"items\":["), items, b"]}\n");
            let bytes = body.collect().await.unwrap().to_bytes();
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let got = v["items"].as_array().unwrap();
            assert_eq!(got.len(), n);
            for (i, item) in got.iter().enumerate() {
                assert_eq!(item["i"], i);
            }
            assert!(bytes.ends_with(b"]}\n"));
        }
    }
}
