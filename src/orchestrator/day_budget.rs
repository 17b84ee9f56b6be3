//! The day's budget: what was spent today (UTC), today's cap raise, whether the 80% alert
//! went out, and the worst cases reserved by the calls in flight.

pub const DAY_MS: u64 = 86_400_000;

/// The meta key of a day's spend.
fn spend_key(day: u64) -> String {
    format!("spend:{day}")
}

/// The meta key of a day's cap raise.
fn cap_key(day: u64) -> String {
    format!("daily_cap:{day}")
}

pub(super) struct DayBudget {
    /// The UTC day (days since the epoch) `spent` counts.
    day: u64,
    spent: u64,
    /// Today's cap raise granted at a daily budget gate, if any.
    raised_cap: Option<u64>,
    alerted: bool,
    /// The sum of every run's reservations (`RunState::reserved`).
    reserved: u64,
}

impl DayBudget {
    pub fn new(now: u64) -> Self {
        DayBudget { day: now / DAY_MS, spent: 0, raised_cap: None, alerted: false, reserved: 0 }
    }

    /// Takes a meta record of today's spend or cap raise; false if `key` is neither (an
    /// earlier day's, or another record).
    pub fn load(&mut self, key: &str, text: &str) -> Result<bool, std::num::ParseIntError> {
        if key == spend_key(self.day) {
            self.spent = text.parse()?;
        } else if key == cap_key(self.day) {
            self.raised_cap = Some(text.parse()?);
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// A new UTC day starts with nothing spent and the configured cap.
    pub fn roll(&mut self, now: u64) {
        let day = now / DAY_MS;
        if day != self.day {
            self.day = day;
            self.spent = 0;
            self.raised_cap = None;
            self.alerted = false;
        }
    }

    pub fn spent(&self) -> u64 {
        self.spent
    }

    /// The cap in force today: the raise granted, else the configured one (0 for none).
    pub fn cap(&self, configured: u64) -> u64 {
        self.raised_cap.unwrap_or(configured)
    }

    /// Whether a call costing at most `worst` stays under the cap, with today's spend and
    /// the calls in flight.
    pub fn has_room(&self, cap: u64, worst: u64) -> bool {
        cap == 0 || self.spent + self.reserved + worst <= cap
    }

    /// Adds a call's cost; returns the meta record of today's spend.
    pub fn spend(&mut self, cost: u64) -> (String, Vec<u8>) {
        self.spent += cost;
        (spend_key(self.day), self.spent.to_string().into_bytes())
    }

    /// Raises today's cap (and lets the 80% alert go out again); returns its meta record.
    pub fn raise_cap(&mut self, to: u64) -> (String, Vec<u8>) {
        self.raised_cap = Some(to);
        self.alerted = false;
        (cap_key(self.day), to.to_string().into_bytes())
    }

    /// Whether the 80% alert of `cap` is due now: true once a day (or a raise).
    pub fn alert_due(&mut self, cap: u64, pct: u64) -> bool {
        let due = cap > 0 && !self.alerted && self.spent * 100 >= cap * pct;
        self.alerted |= due;
        due
    }

    /// Sets `worst` aside for a call in flight, in the run's `reserved` and the day's.
    pub fn reserve(&mut self, run_reserved: &mut u64, worst: u64) {
        *run_reserved += worst;
        self.reserved += worst;
    }

    /// Gives back what a finished call had set aside.
    pub fn release(&mut self, run_reserved: &mut u64, amount: u64) {
        let amount = amount.min(*run_reserved);
        *run_reserved -= amount;
        self.reserved -= amount;
    }
}
