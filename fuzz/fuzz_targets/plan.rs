//! Plan JSON: any answer gives a valid plan or a reason; a parsed plan serialised and parsed again is equal and orders its tasks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use startup_factory::domain::Plan;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Plan::parse(text) {
        Ok(plan) => {
            let order = plan.topological_order().expect("a valid plan has an order");
            assert_eq!(order.len(), plan.tasks.len());
            let json = serde_json::to_string(&plan).unwrap();
            assert_eq!(Plan::parse(&json).as_ref(), Ok(&plan), "{json}");
        }
        Err(e) => assert!(!e.is_empty()),
    }
});
