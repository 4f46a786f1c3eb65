//! The in-process client: a kube-rs [`kube::Client`] whose transport is a tower
//! service calling [`ApiServer::handle`] directly — no socket, no TLS, the same code
//! path as a remote client (DESIGN rule 3). The scheduler, controllers and kubelet
//! will use it; so do the in-process integration tests.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::BodyExt;

use crate::pki::Identity;

use super::{ApiServer, Body};

/// A client that acts as `user` against `api`.
pub fn in_process_client(api: ApiServer, user: Identity) -> kube::Client {
    let service = tower::service_fn(move |req: Request<kube::client::Body>| {
        let api = api.clone();
        let user = user.clone();
        async move {
            let (parts, body) = req.into_parts();
            let bytes: Bytes = match body.collect().await {
                Ok(b) => b.to_bytes(),
                Err(e) => {
                    return Ok::<Response<Body>, Infallible>(super::error_response(
                        &crate::api::status::ApiError::bad_request(format!(
                            "reading the request body: {e}"
                        )),
                    ));
                }
            };
            Ok(api
                .handle(Request::from_parts(parts, bytes), Some(user))
                .await)
        }
    });
    kube::Client::new(service, "default")
}
