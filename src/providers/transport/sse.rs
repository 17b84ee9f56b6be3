//! Server-sent events, parsed incrementally from the bytes of a response as they arrive
//! (the WHATWG event-stream rules: `event:`/`data:` fields, comments, any line ending,
//! events dispatched on a blank line, chunks split anywhere).

/// One dispatched event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, if any (Anthropic names its events; OpenAI does not).
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// Largest event accepted; a stream that sends more without a blank line is broken.
pub const MAX_EVENT_BYTES: usize = 16 << 20;

#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of a line not yet ended.
    line: Vec<u8>,
    /// The last chunk ended in `\r`: a `\n` opening the next one belongs to that line end.
    after_cr: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
    size: usize,
}

/// The stream broke the format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseError(pub String);

impl SseParser {
    pub fn new() -> Self {
        SseParser::default()
    }

    /// Feeds a chunk; complete events are appended to `out`.
    pub fn push(&mut self, mut chunk: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        // An empty chunk (a transport may deliver one) must not forget a `\r` left pending.
        if self.after_cr && !chunk.is_empty() {
            self.after_cr = false;
            if let Some(rest) = chunk.strip_prefix(b"\n") {
                chunk = rest;
            }
        }
        while let Some(pos) = memchr::memchr2(b'\n', b'\r', chunk) {
            let (head, tail) = chunk.split_at(pos);
            let crlf_len = if tail[0] == b'\r' {
                match tail.get(1) {
                    Some(b'\n') => 2,
                    Some(_) => 1,
                    None => {
                        self.after_cr = true;
                        1
                    }
                }
            } else {
                1
            };
            if self.line.is_empty() {
                self.line_done(head, out)?;
            } else {
                self.line.extend_from_slice(head);
                let line = std::mem::take(&mut self.line);
                self.line_done(&line, out)?;
            }
            chunk = &tail[crlf_len..];
        }
        self.line.extend_from_slice(chunk);
        if self.line.len() + self.size > MAX_EVENT_BYTES {
            return Err(SseError(format!("an event of more than {} MiB", MAX_EVENT_BYTES >> 20)));
        }
        Ok(())
    }

    /// Gives back a dispatched event's data once read, so that the next event's data
    /// reuses its memory instead of allocating anew.
    pub fn recycle(&mut self, event: SseEvent) {
        if self.data.capacity() == 0 {
            let mut data = event.data;
            data.clear();
            self.data = data;
        }
    }

    /// Whether the stream stopped in the middle of an event (a cut stream, unless the
    /// caller already saw its end marker).
    pub fn has_partial(&self) -> bool {
        !self.line.is_empty() || self.has_data
    }

    fn line_done(&mut self, line: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        if line.is_empty() {
            if self.has_data {
                out.push(SseEvent { event: self.event.take(), data: std::mem::take(&mut self.data) });
            }
            self.event = None;
            self.has_data = false;
            self.size = 0;
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(()); // a comment, used as a keep-alive
        }
        let (name, value) = match line.iter().position(|b| *b == b':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &[][..]),
        };
        let value = std::str::from_utf8(value).map_err(|_| SseError("an event that is not UTF-8".into()))?;
        self.size += line.len();
        if self.size > MAX_EVENT_BYTES {
            return Err(SseError(format!("an event of more than {} MiB", MAX_EVENT_BYTES >> 20)));
        }
        match name {
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            b"event" => self.event = Some(value.to_string()),
            _ => {} // `id`, `retry` and unknown fields are not used here
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse_all(chunks: &[&[u8]]) -> (Vec<SseEvent>, bool) {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for c in chunks {
            p.push(c, &mut out).unwrap();
        }
        (out, p.has_partial())
    }

    fn ev(event: Option<&str>, data: &str) -> SseEvent {
        SseEvent { event: event.map(String::from), data: data.into() }
    }

    #[test]
    fn named_events_comments_and_multiline_data() {
        let text =
            b": keep-alive\nevent: message_start\ndata: {\"a\":1}\n\nevent: ping\ndata: {}\n\ndata: one\ndata:two\n\n";
        let (events, partial) = parse_all(&[text]);
        assert_eq!(events, vec![ev(Some("message_start"), "{\"a\":1}"), ev(Some("ping"), "{}"), ev(None, "one\ntwo")]);
        assert!(!partial);
    }

    #[test]
    fn any_line_ending_and_splits_inside_line_endings() {
        let (a, _) = parse_all(&[b"data: x\r\n\r\ndata: y\r\r"]);
        assert_eq!(a, vec![ev(None, "x"), ev(None, "y")]);
        let (b, _) = parse_all(&[b"data: x\r", b"\n\r", b"\ndata: y\n", b"\n"]);
        assert_eq!(b, vec![ev(None, "x"), ev(None, "y")]);
    }

    /// Found by the `sse` fuzz target: an empty chunk between `\r` and `\n` made the `\n` a
    /// second line end, a blank line that dispatched the event early.
    #[test]
    fn an_empty_chunk_between_cr_and_lf_is_still_one_line_end() {
        let (events, partial) = parse_all(&[b"data: x\r", b"", b"\ndata: y\n\n"]);
        assert_eq!(events, vec![ev(None, "x\ny")]);
        assert!(!partial);
    }

    #[test]
    fn an_unfinished_event_is_not_dispatched_and_is_reported() {
        let (events, partial) = parse_all(&[b"data: {\"choices\":[]}\n\ndata: {\"cho"]);
        assert_eq!(events.len(), 1);
        assert!(partial);
        let (_, partial) = parse_all(&[b"data: whole line\n"]);
        assert!(partial, "data without its blank line is an unfinished event");
    }

    #[test]
    fn recycled_memory_carries_nothing_over() {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        p.push(b"data: a long first event\n\n", &mut out).unwrap();
        let first = out.pop().unwrap();
        assert_eq!(first.data, "a long first event");
        p.recycle(first);
        p.push(b"event: x\ndata: b\n\ndata: c\n", &mut out).unwrap();
        assert_eq!(out, vec![ev(Some("x"), "b")]);
        p.recycle(out.pop().unwrap());
        p.push(b"\n", &mut out).unwrap();
        assert_eq!(out, vec![ev(None, "c")]);
    }

    #[test]
    fn refuses_an_endless_event() {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        let big = vec![b'a'; 1 << 20];
        let mut failed = false;
        for _ in 0..20 {
            if p.push(&big, &mut out).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed);
    }

    /// Generated events: a name or none, and data of one or more lines (no CR or LF inside).
    fn events() -> impl Strategy<Value = Vec<SseEvent>> {
        let line = "[^\r\n]{0,10}";
        let event = (proptest::option::of(line), proptest::collection::vec(line, 1..4))
            .prop_map(|(event, lines)| SseEvent { event, data: lines.join("\n") });
        proptest::collection::vec(event, 0..6)
    }

    /// The events framed as a server would, every line ended by the same `end` (a CR
    /// ending a line and an LF ending the next blank one would read as one CRLF).
    fn frame(events: &[SseEvent], end: &str) -> Vec<u8> {
        let mut out = String::new();
        for e in events {
            if let Some(name) = &e.event {
                out += &format!("event: {name}{end}");
            }
            for l in e.data.split('\n') {
                out += &format!("data: {l}{end}");
            }
            out += end;
        }
        out.into_bytes()
    }

    /// `bytes` cut at `cuts` (repeated cuts give empty chunks).
    fn cut(bytes: &[u8], cuts: Vec<usize>) -> Vec<&[u8]> {
        let mut points: Vec<usize> = cuts.into_iter().map(|c| c % (bytes.len() + 1)).collect();
        points.sort();
        let mut chunks = Vec::new();
        let mut last = 0;
        for p in points {
            chunks.push(&bytes[last..p]);
            last = p;
        }
        chunks.push(&bytes[last..]);
        chunks
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Generated events, framed with any line endings and cut anywhere (empty chunks too),
        /// parse back to the same events with nothing left open.
        #[test]
        fn framed_events_parse_back(
            events in events(),
            end in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
            cuts in proptest::collection::vec(0usize..400, 0..10),
        ) {
            let bytes = frame(&events, end);
            let (back, partial) = parse_all(&cut(&bytes, cuts));
            prop_assert_eq!(back, events);
            prop_assert!(!partial);
        }

        /// Any bytes, cut anywhere: no panic, and the same events, error and state as whole.
        #[test]
        fn any_bytes_parse_the_same_however_cut(
            bytes in proptest::collection::vec(any::<u8>(), 0..300),
            cuts in proptest::collection::vec(0usize..300, 0..10),
        ) {
            let run = |chunks: &[&[u8]]| {
                let mut p = SseParser::new();
                let mut out = Vec::new();
                let failed = chunks.iter().any(|c| p.push(c, &mut out).is_err());
                (out, failed, failed || p.has_partial())
            };
            prop_assert_eq!(run(&cut(&bytes, cuts)), run(&[&bytes]));
        }

        /// However the bytes are split into chunks, the same events come out.
        #[test]
        fn chunking_never_changes_the_events(cuts in proptest::collection::vec(0usize..200, 0..12)) {
            let text = "event: a\ndata: h\u{e9}llo \u{1F600}\r\n\r\n: c\r\ndata: x\rdata: y\n\ndata: [DONE]\n\n".as_bytes();
            let (whole, _) = parse_all(&[text]);
            let mut points: Vec<usize> = cuts.into_iter().map(|c| c % (text.len() + 1)).collect();
            points.sort();
            let mut chunks = Vec::new();
            let mut last = 0;
            for p in points {
                chunks.push(&text[last..p]);
                last = p;
            }
            chunks.push(&text[last..]);
            let (split, partial) = parse_all(&chunks);
            prop_assert_eq!(split, whole);
            prop_assert!(!partial);
        }
    }
}
