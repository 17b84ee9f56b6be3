//! A loopback webhook receiver for the tests (axum on 127.0.0.1, a random port, TCP_NODELAY):
//! it answers from a script (a status, or no answer at all), then with a default, and keeps
//! every request with its `Idempotency-Key` header, its path, its JSON body and its answer.
//! Its error answers quote the request's path, as a careless receiver would.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::serve::ListenerExt;
use serde_json::Value;

/// How the receiver answers one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Status(u16),
    /// Never answers (the connection stays open until the sender gives up).
    Hang,
}

/// One request received.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub key: Option<String>,
    pub body: Value,
    /// `None` when it was not answered ([`Answer::Hang`]).
    pub status: Option<u16>,
}

impl Received {
    /// Whether it was answered with a success: the alert was delivered by it.
    pub fn accepted(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

#[derive(Default)]
struct Shared {
    script: Mutex<VecDeque<Answer>>,
    then: Mutex<Option<Answer>>,
    received: Mutex<Vec<Received>>,
}

/// A running receiver; stopped when dropped.
pub struct WebhookReceiver {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl WebhookReceiver {
    /// Starts on 127.0.0.1 at a random port: `script` answers the first requests in turn,
    /// `then` every one after.
    pub async fn start(script: Vec<Answer>, then: Answer) -> std::io::Result<WebhookReceiver> {
        Self::start_at(SocketAddr::from(([127, 0, 0, 1], 0)), script, then).await
    }

    /// As [`start`](Self::start), at a given address (to come back on the same port).
    pub async fn start_at(addr: SocketAddr, script: Vec<Answer>, then: Answer) -> std::io::Result<WebhookReceiver> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        let listener = socket.listen(1024)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        *shared.script.lock().unwrap_or_else(|e| e.into_inner()) = script.into();
        *shared.then.lock().unwrap_or_else(|e| e.into_inner()) = Some(then);
        let app = Router::new().fallback(post(receive)).with_state(Arc::clone(&shared));
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(WebhookReceiver { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL of `path` (`/hook/TOKEN`) on this receiver.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Answers from now on: `script` in turn, then `then` (a receiver back from maintenance).
    pub fn answer(&self, script: Vec<Answer>, then: Answer) {
        *self.shared.script.lock().unwrap_or_else(|e| e.into_inner()) = script.into();
        *self.shared.then.lock().unwrap_or_else(|e| e.into_inner()) = Some(then);
    }

    /// Every request so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Requests answered with a success, in order.
    pub fn accepted(&self) -> Vec<Received> {
        self.received().into_iter().filter(Received::accepted).collect()
    }
}

async fn receive(State(s): State<Arc<Shared>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let answer = {
        let next = s.script.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
        next.or(*s.then.lock().unwrap_or_else(|e| e.into_inner())).unwrap_or(Answer::Status(200))
    };
    let mut got = Received {
        path: uri.path().to_string(),
        key: headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(String::from),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        status: None,
    };
    match answer {
        Answer::Hang => {
            s.received.lock().unwrap_or_else(|e| e.into_inner()).push(got);
            std::future::pending::<Response>().await
        }
        Answer::Status(code) => {
            got.status = Some(code);
            s.received.lock().unwrap_or_else(|e| e.into_inner()).push(got);
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if status.is_success() {
                (status, "ok").into_response()
            } else {
                (status, format!("no luck with {uri}")).into_response()
            }
        }
    }
}
