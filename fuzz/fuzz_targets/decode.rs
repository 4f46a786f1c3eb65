//! The request decoders that run before any handler: protobuf bodies, the
//! duplicate-field scan of JSON bodies, label and field selectors, the query string
//! and the request path.
//!
//! Input: byte 0 picks the decoder; the rest is its input.
//!
//! Checked: no panic; a protobuf body that decodes gives a JSON object; a selector
//! that parses prints as a selector that parses to the same terms.

#![no_main]

use kelp::api::{FieldSelector, Selector};
use kelp::apiserver::{protobuf, request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [which, input @ ..] = data else {
        return;
    };
    let text = String::from_utf8_lossy(input);
    match which % 5 {
        0 => {
            if let Ok(v) = protobuf::decode_to_json(input) {
                assert!(v.is_object(), "protobuf decoded to {v}");
            }
        }
        1 => {
            let _ = kelp::api::json::duplicate_fields(input);
        }
        2 => {
            if let Ok(s) = Selector::parse(&text) {
                let printed = s.to_string();
                let again = Selector::parse(&printed)
                    .unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}: {e}"));
                assert_eq!(again.to_string(), printed, "from {text:?}");
            }
        }
        3 => {
            if let Ok(s) = FieldSelector::parse(&text) {
                // the same terms (upstream sorts the raw terms, and printing turns
                // `==` into `=`, so the order may differ)
                let printed = s.to_string();
                let again = FieldSelector::parse(&printed)
                    .unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}: {e}"));
                let terms = |s: &FieldSelector| {
                    let mut t: Vec<String> =
                        s.requirements().iter().map(|r| format!("{r:?}")).collect();
                    t.sort();
                    t
                };
                assert_eq!(terms(&again), terms(&s), "from {text:?}");
            }
        }
        _ => {
            let (path, query) = text.split_once('?').unwrap_or((&text, ""));
            let query = request::parse_query(Some(query));
            let watch = request::query_bool(&query, "watch").unwrap_or(false);
            for method in [http::Method::GET, http::Method::POST, http::Method::DELETE] {
                let _ = request::parse(&method, path, watch);
            }
        }
    }
});
