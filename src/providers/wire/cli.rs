//! A local command-line tool as a provider: run without a shell in its own process group,
//! the prompt on stdin, the answer on stdout; at its timeout the whole group is killed; a
//! non-zero exit or an empty answer is an error; tokens are estimated and marked so.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::ProviderKind;
use crate::providers::{BoxFuture, CallRequest, CallResponse, ErrorClass, Provider, ProviderError, Secret, Usage};

/// Most bytes of answer read from the tool.
const MAX_OUTPUT: usize = 4 << 20;
/// Bytes of the tool's stderr kept for an error message.
const MAX_STDERR: usize = 64 << 10;

pub struct CliProvider {
    name: String,
    command: Vec<String>,
    model: String,
    timeout: Duration,
}

/// Kills the tool's whole process group (a tool may start helpers of its own) when the call
/// ends early: a timeout, or the caller giving up. Also used by the alert command.
pub(crate) struct GroupGuard(Option<i32>);

impl GroupGuard {
    /// Guards the process group led by `pid` (a child spawned with `process_group(0)`).
    pub(crate) fn new(pid: Option<u32>) -> Self {
        GroupGuard(pid.map(|p| p as i32))
    }

    pub(crate) fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pgid) = self.0
            && pgid > 0
        {
            // SAFETY: kill(2) with a negative pid signals the process group we created
            // for the tool (its leader's pid); it touches no memory.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }
}

impl CliProvider {
    pub fn new(name: &str, command: Vec<String>, model: Option<String>, timeout_s: u64) -> Self {
        let model = model.unwrap_or_else(|| command.first().cloned().unwrap_or_else(|| "cli".into()));
        CliProvider { name: name.into(), command, model, timeout: Duration::from_secs(timeout_s) }
    }

    async fn run(&self, input: String) -> Result<String, ProviderError> {
        let (program, args) = self.command.split_first().ok_or_else(|| {
            ProviderError::new(
                ErrorClass::Process,
                format!("provider {} has an empty command; set `command`", self.name),
            )
        })?;
        let mut child = tokio::process::Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                ProviderError::new(
                    ErrorClass::Process,
                    format!("cannot start `{program}` ({e}); check the provider's `command` and PATH"),
                )
            })?;
        let mut group = GroupGuard(child.id().map(|p| p as i32));
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
                Ok(())
            };
            // Too much output ends the call at once (the tool, blocked on a full pipe,
            // would otherwise never exit).
            let read = async {
                let mut out = Vec::new();
                if let Some(s) = stdout.as_mut() {
                    let _ = s.take(MAX_OUTPUT as u64 + 1).read_to_end(&mut out).await;
                }
                if out.len() > MAX_OUTPUT {
                    return Err(ProviderError::new(
                        ErrorClass::BadResponse,
                        format!("`{program}` printed more than {} MiB; it was stopped", MAX_OUTPUT >> 20),
                    ));
                }
                Ok(out)
            };
            let read_err = async {
                let mut err = Vec::new();
                if let Some(s) = stderr.as_mut() {
                    let _ = s.take(MAX_STDERR as u64).read_to_end(&mut err).await;
                }
                Ok(err)
            };
            let ((), out, err) = tokio::try_join!(write, read, read_err)?;
            let status = child.wait().await;
            Ok::<_, ProviderError>((status, out, err))
        };
        let outcome = tokio::time::timeout(self.timeout, work).await;
        let (status, out, err) = match outcome {
            Err(_) => {
                return Err(ProviderError::new(
                    ErrorClass::Timeout,
                    format!(
                        "`{program}` gave no answer within {} s and was killed; raise timeout_s if it needs longer",
                        self.timeout.as_secs()
                    ),
                ));
            }
            Ok(Err(e)) => return Err(e),
            Ok(Ok(done)) => done,
        };
        let status = status.map_err(|e| ProviderError::new(ErrorClass::Process, format!("`{program}` failed: {e}")))?;
        // The tool exited by itself: nothing to kill.
        group.disarm();
        if !status.success() {
            let tail = String::from_utf8_lossy(&err);
            let tail = tail.trim().lines().last().unwrap_or("").chars().take(200).collect::<String>();
            // A tool may fail for a passing reason (its own provider's rate limit): retryable.
            return Err(ProviderError::new(
                ErrorClass::Server,
                format!(
                    "`{program}` exited with {status}{}; it is tried again",
                    if tail.is_empty() { String::new() } else { format!(": {tail}") }
                ),
            ));
        }
        let text = String::from_utf8_lossy(&out).into_owned();
        if text.trim().is_empty() {
            return Err(ProviderError::new(
                ErrorClass::BadResponse,
                format!("`{program}` printed nothing; it is tried again"),
            ));
        }
        Ok(text)
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
            Ok(CallResponse {
                text,
                usage,
                model: self.model.clone(),
                citations: Vec::new(),
                rest_key_for: None,
                truncated: false,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> CallRequest {
        CallRequest::test("spec", "", "hello; $(rm -rf /) `x`")
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
        assert_eq!(r.model, "cat");
    }

    #[tokio::test]
    async fn failures_are_errors() {
        let e = cli(&["false"], 5).call(&req(), None).await.unwrap_err();
        assert!(e.message.contains("exited with"), "{}", e.message);
        assert!(e.retryable());
        let e = cli(&["sh", "-c", "echo 'model busy' >&2; exit 3"], 5).call(&req(), None).await.unwrap_err();
        assert!(e.message.ends_with("exit status: 3: model busy; it is tried again"), "{}", e.message);
        let e = cli(&["true"], 5).call(&req(), None).await.unwrap_err();
        assert_eq!(e.class, ErrorClass::BadResponse);
        let e = cli(&["/no/such/tool"], 1).call(&req(), None).await.unwrap_err();
        assert!(e.message.contains("cannot start") && !e.retryable());
    }

    #[tokio::test]
    async fn a_timeout_kills_the_tool_and_its_helpers() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("survived");
        // The tool starts a helper that would write a file after two seconds.
        let script = format!("(sleep 2; touch {}) & sleep 30", marker.display());
        let t = std::time::Instant::now();
        let e = cli(&["sh", "-c", &script], 1).call(&req(), None).await.unwrap_err();
        assert_eq!(e.class, ErrorClass::Timeout);
        assert!(t.elapsed() < Duration::from_secs(3));
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert!(!marker.exists(), "the helper was killed with the group");
    }

    #[tokio::test]
    async fn too_much_output_is_refused() {
        let e = cli(&["sh", "-c", "head -c 5000000 /dev/zero"], 10).call(&req(), None).await.unwrap_err();
        assert!(e.message.contains("more than 4 MiB"), "{}", e.message);
    }
}
