//! A local command-line tool as a provider: run without a shell, the prompt on stdin, the
//! answer on stdout, killed at its timeout; tokens are estimated.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{BoxFuture, CallRequest, CallResponse, ErrorClass, Provider, ProviderError, Secret, Usage};
use crate::config::ProviderKind;

/// Most bytes of answer read from the tool.
const MAX_OUTPUT: usize = 4 << 20;

pub struct CliProvider {
    name: String,
    command: Vec<String>,
    model: String,
    timeout: Duration,
}

impl CliProvider {
    pub fn new(name: &str, command: Vec<String>, model: Option<String>, timeout_s: u64) -> Self {
        let model = model.unwrap_or_else(|| command.first().cloned().unwrap_or_else(|| "cli".into()));
        CliProvider { name: name.into(), command, model, timeout: Duration::from_secs(timeout_s) }
    }

    async fn run(&self, input: String) -> Result<String, ProviderError> {
        let (program, args) = self.command.split_first().ok_or_else(|| {
            ProviderError::new(ErrorClass::Process, format!("provider {} has an empty command", self.name))
        })?;
        let mut child = tokio::process::Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| ProviderError::new(ErrorClass::Process, format!("cannot start `{program}`: {e}")))?;
        let mut stdin = child.stdin.take();
        let mut stdout = child.stdout.take();
        let mut stderr = child.stderr.take();
        let work = async {
            let write = async {
                if let Some(mut s) = stdin.take() {
                    // A tool that exits without reading its input is not an error here.
                    let _ = s.write_all(input.as_bytes()).await;
                    let _ = s.shutdown().await;
                }
            };
            let read = async {
                let mut out = Vec::new();
                if let Some(s) = stdout.as_mut() {
                    let _ = s.take(MAX_OUTPUT as u64).read_to_end(&mut out).await;
                }
                out
            };
            let read_err = async {
                let mut err = Vec::new();
                if let Some(s) = stderr.as_mut() {
                    let _ = s.take(64 * 1024).read_to_end(&mut err).await;
                }
                err
            };
            let ((), out, err) = tokio::join!(write, read, read_err);
            let status = child.wait().await;
            (status, out, err)
        };
        match tokio::time::timeout(self.timeout, work).await {
            Err(_) => Err(ProviderError::new(
                ErrorClass::Timeout,
                format!("`{program}` gave no answer within {} s and was stopped", self.timeout.as_secs()),
            )),
            Ok((Err(e), _, _)) => Err(ProviderError::new(ErrorClass::Process, format!("`{program}` failed: {e}"))),
            Ok((Ok(status), out, err)) => {
                if !status.success() {
                    let tail = String::from_utf8_lossy(&err);
                    let tail = tail.trim().lines().last().unwrap_or("").chars().take(200).collect::<String>();
                    return Err(ProviderError::new(
                        ErrorClass::Process,
                        format!(
                            "`{program}` exited with {status}{}",
                            if tail.is_empty() { String::new() } else { format!(": {tail}") }
                        ),
                    ));
                }
                let text = String::from_utf8_lossy(&out).into_owned();
                if text.trim().is_empty() {
                    return Err(ProviderError::new(ErrorClass::BadResponse, format!("`{program}` printed nothing")));
                }
                Ok(text)
            }
        }
    }
}

impl Provider for CliProvider {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> ProviderKind {
        ProviderKind::Cli
    }
    fn model(&self) -> &str {
        &self.model
    }

    fn call<'a>(
        &'a self,
        req: &'a CallRequest,
        _key: Option<&'a Secret>,
    ) -> BoxFuture<'a, Result<CallResponse, ProviderError>> {
        Box::pin(async move {
            let input =
                if req.system.is_empty() { req.prompt.clone() } else { format!("{}\n\n{}", req.system, req.prompt) };
            let input_chars = input.len();
            let text = self.run(input).await?;
            let usage = Usage::estimate(input_chars, text.len());
            Ok(CallResponse { text, usage, model: self.model.clone(), citations: Vec::new(), rest_key_for: None })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::SimHints;

    fn req() -> CallRequest {
        CallRequest {
            task_id: "t".into(),
            attempt: 0,
            route: "spec",
            system: String::new(),
            prompt: "hello; $(rm -rf /) `x`".into(),
            max_tokens: 100,
            bypass_cache: false,
            hints: SimHints::default(),
        }
    }

    fn cli(cmd: &[&str], timeout_s: u64) -> CliProvider {
        CliProvider::new("local", cmd.iter().map(|s| s.to_string()).collect(), None, timeout_s)
    }

    #[tokio::test]
    async fn prompt_goes_to_stdin_verbatim_and_tokens_are_estimated() {
        let r = cli(&["cat"], 5).call(&req(), None).await.unwrap();
        assert_eq!(r.text, "hello; $(rm -rf /) `x`");
        assert!(r.usage.estimated);
        assert_eq!(r.usage.output, (r.text.len() as u64).div_ceil(4));
    }

    #[tokio::test]
    async fn failures_are_errors() {
        let e = cli(&["false"], 5).call(&req(), None).await.unwrap_err();
        assert_eq!(e.class, ErrorClass::Process);
        let e = cli(&["true"], 5).call(&req(), None).await.unwrap_err();
        assert_eq!(e.class, ErrorClass::BadResponse);
        let e = cli(&["sleep", "5"], 1).call(&req(), None).await.unwrap_err();
        assert_eq!(e.class, ErrorClass::Timeout);
        let e = cli(&["/no/such/tool"], 1).call(&req(), None).await.unwrap_err();
        assert!(e.message.contains("cannot start"));
    }
}
