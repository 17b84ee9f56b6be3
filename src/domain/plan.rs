//! The build team's task graph: parsed from a provider's answer and validated.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path};

use serde::{Deserialize, Serialize};

use super::path::check_relative_path;
use super::task::AgentRole;

/// Most tasks a plan may hold.
pub const MAX_PLAN_TASKS: usize = 40;

// Each task's ancestors are kept as the bits of a u64.
const _: () = assert!(MAX_PLAN_TASKS <= 64);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanTask {
    pub id: String,
    pub role: AgentRole,
    pub title: String,
    #[serde(default)]
    pub depends_on: Vec<String>,
    #[serde(default)]
    pub files: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub tasks: Vec<PlanTask>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTask {
    id: String,
    role: String,
    title: String,
    #[serde(default)]
    depends_on: Vec<String>,
    #[serde(default)]
    files: Vec<String>,
}

#[derive(Deserialize)]
struct RawPlan {
    tasks: Vec<RawTask>,
}

impl Plan {
    /// Finds the JSON plan in a provider's answer (a ```json block, or the outermost
    /// braces) and validates it. The error says what is wrong, so it can go back to the
    /// provider in the retry's prompt.
    pub fn parse(answer: &str) -> Result<Plan, String> {
        let json = extract_json(answer).ok_or("the answer holds no JSON object")?;
        let raw: RawPlan = serde_json::from_str(json).map_err(|e| format!("the plan JSON is invalid: {e}"))?;
        let mut tasks = Vec::with_capacity(raw.tasks.len());
        for t in raw.tasks {
            let role = t.role.parse::<AgentRole>().map_err(|e| format!("task `{}`: {e}", t.id))?;
            tasks.push(PlanTask { id: t.id, role, title: t.title, depends_on: t.depends_on, files: t.files });
        }
        let plan = Plan { tasks };
        plan.validate()?;
        Ok(plan)
    }

    /// Ids unique and well formed, dependencies known and acyclic, files safe, and no file
    /// given to two tasks that could run at the same time.
    pub fn validate(&self) -> Result<(), String> {
        if self.tasks.is_empty() {
            return Err("the plan has no tasks".into());
        }
        if self.tasks.len() > MAX_PLAN_TASKS {
            return Err(format!("the plan has {} tasks, more than {MAX_PLAN_TASKS}", self.tasks.len()));
        }
        let mut ids = HashSet::new();
        for t in &self.tasks {
            let ok = !t.id.is_empty()
                && t.id.len() <= 40
                && t.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
            if !ok {
                return Err(format!("task id `{}` must be 1-40 characters of a-z, 0-9, - and _", t.id));
            }
            if t.id == "plan" || t.id == "integrate" {
                return Err(format!("task id `{}` is reserved", t.id));
            }
            if !ids.insert(t.id.as_str()) {
                return Err(format!("task id `{}` appears twice", t.id));
            }
            if t.title.trim().is_empty() {
                return Err(format!("task `{}` has an empty title", t.id));
            }
            for f in &t.files {
                check_relative_path(f).map_err(|e| format!("task `{}` file {e}", t.id))?;
            }
        }
        for t in &self.tasks {
            for d in &t.depends_on {
                if !ids.contains(d.as_str()) {
                    return Err(format!("task `{}` depends on unknown task `{d}`", t.id));
                }
            }
        }
        let order = self.topological_order()?;
        self.check_file_owners(&order)
    }

    /// Refuses a file given to two tasks neither of which depends, directly or through
    /// others, on the other: they could run at once and overwrite each other's work. Tasks
    /// ordered by a chain of dependencies may share a file (the later one replaces it).
    fn check_file_owners(&self, order: &[usize]) -> Result<(), String> {
        let index: HashMap<&str, usize> = self.tasks.iter().enumerate().map(|(i, t)| (t.id.as_str(), i)).collect();
        // ancestors[i]: the bits of every task that i depends on, directly or not.
        let mut ancestors = vec![0u64; self.tasks.len()];
        for &i in order {
            for d in &self.tasks[i].depends_on {
                let j = index[d.as_str()];
                ancestors[i] |= ancestors[j] | (1u64 << j);
            }
        }
        let ordered = |a: usize, b: usize| ancestors[a] & (1u64 << b) != 0 || ancestors[b] & (1u64 << a) != 0;
        let mut holders: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, t) in self.tasks.iter().enumerate() {
            let mut seen = HashSet::new();
            for f in &t.files {
                let path = normal_path(f);
                if !seen.insert(path.clone()) {
                    continue;
                }
                let earlier = holders.entry(path).or_default();
                if let Some(&j) = earlier.iter().find(|&&j| !ordered(i, j)) {
                    return Err(format!(
                        "tasks `{}` and `{}` both write `{f}` and could run at the same time; add a dependency between them, or give the file to one task",
                        self.tasks[j].id, t.id
                    ));
                }
                earlier.push(i);
            }
        }
        Ok(())
    }

    /// Task indices in an order where each comes after its dependencies.
    pub fn topological_order(&self) -> Result<Vec<usize>, String> {
        let index: HashMap<&str, usize> = self.tasks.iter().enumerate().map(|(i, t)| (t.id.as_str(), i)).collect();
        let mut indegree: Vec<usize> = self.tasks.iter().map(|t| t.depends_on.len()).collect();
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); self.tasks.len()];
        for (i, t) in self.tasks.iter().enumerate() {
            for d in &t.depends_on {
                dependents[index[d.as_str()]].push(i);
            }
        }
        let mut order: Vec<usize> = (0..self.tasks.len()).filter(|i| indegree[*i] == 0).collect();
        let mut k = 0;
        while k < order.len() {
            for &j in &dependents[order[k]] {
                indegree[j] -= 1;
                if indegree[j] == 0 {
                    order.push(j);
                }
            }
            k += 1;
        }
        if order.len() != self.tasks.len() {
            let stuck: Vec<&str> =
                (0..self.tasks.len()).filter(|i| indegree[*i] > 0).map(|i| self.tasks[i].id.as_str()).collect();
            return Err(format!("the plan's dependencies form a cycle through {}", stuck.join(", ")));
        }
        Ok(order)
    }
}

/// A checked relative path's plain form (`./a//b/` is `a/b`), so that two spellings of
/// one file are seen as one.
fn normal_path(path: &str) -> String {
    let parts: Vec<&str> = Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => p.to_str(),
            _ => None,
        })
        .collect();
    parts.join("/")
}

fn extract_json(answer: &str) -> Option<&str> {
    if let Some(start) = answer.find("```json") {
        let body = &answer[start + 7..];
        if let Some(end) = body.find("```") {
            return Some(body[..end].trim());
        }
    }
    let start = answer.find('{')?;
    let end = answer.rfind('}')?;
    (end > start).then(|| &answer[start..=end])
}

/// Generated valid plans, for the property tests here and of the template manifest.
#[cfg(test)]
pub(crate) fn valid_plan() -> impl proptest::strategy::Strategy<Value = Plan> {
    use proptest::prelude::*;
    let task = (
        "[a-z0-9_-]{0,6}",
        0..AgentRole::ALL.len(),
        // Titles without backticks: a title holding ``` would end a fenced answer early.
        "[A-Za-z][A-Za-z0-9 .,:;!?'\"{}()/\\\\\\[\\]é€😀-]{0,20}",
        proptest::collection::vec(any::<prop::sample::Index>(), 0..3),
        proptest::collection::vec("[a-z0-9_]{1,6}(/[a-z0-9_]{1,6}){0,2}(\\.[a-z]{1,3})?", 0..3),
    );
    proptest::collection::vec(task, 1..8).prop_map(|tasks| {
        let mut out: Vec<PlanTask> = Vec::new();
        // Each task's ancestors, by index, so that a file is shared only along a chain.
        let mut ancestors: Vec<HashSet<usize>> = Vec::new();
        for (i, (suffix, role, title, deps, mut files)) in tasks.into_iter().enumerate() {
            // Dependencies only on earlier tasks, so the graph has no cycle.
            let mut depends_on: Vec<String> = Vec::new();
            let mut above = HashSet::new();
            for d in deps.iter().filter(|_| i > 0) {
                let j = d.index(i);
                above.insert(j);
                above.extend(ancestors[j].iter().copied());
                let id = out[j].id.clone();
                if !depends_on.contains(&id) {
                    depends_on.push(id);
                }
            }
            // A file an earlier task that could run at the same time holds is left out.
            files.retain(|f| out.iter().enumerate().all(|(j, t)| above.contains(&j) || !t.files.contains(f)));
            out.push(PlanTask { id: format!("t{i}{suffix}"), role: AgentRole::ALL[role], title, depends_on, files });
            ancestors.push(above);
        }
        Plan { tasks: out }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// A plan serialised and parsed back is equal, bare or fenced in an answer's prose,
        /// and its order puts every task after its dependencies.
        #[test]
        fn a_serialised_plan_parses_back_equal(plan in valid_plan(), prose in "[A-Za-z .,]{0,30}") {
            let json = serde_json::to_string(&plan).unwrap();
            prop_assert_eq!(Plan::parse(&json), Ok(plan.clone()));
            let answer = format!("{prose}\n```json\n{}\n```\n{prose}", serde_json::to_string_pretty(&plan).unwrap());
            prop_assert_eq!(Plan::parse(&answer), Ok(plan.clone()));
            let order = plan.topological_order().unwrap();
            let place = |id: &str| order.iter().position(|i| plan.tasks[*i].id == id).unwrap();
            for t in &plan.tasks {
                for d in &t.depends_on {
                    prop_assert!(place(d) < place(&t.id));
                }
            }
        }

        /// Any answer gives a valid plan or a reason, never a panic.
        #[test]
        fn any_answer_gives_a_plan_or_a_reason(text in "\\PC{0,200}", json in "[{}\\[\\]\":,a-z_ -]{0,120}") {
            for t in [text, json.clone(), format!("{{\"tasks\": [{json}]}}")] {
                match Plan::parse(&t) {
                    Ok(p) => prop_assert!(p.validate().is_ok()),
                    Err(e) => prop_assert!(!e.is_empty()),
                }
            }
        }
    }

    const GOOD: &str = r#"Here is the plan.
```json
{"tasks": [
  {"id": "api", "role": "backend", "title": "API", "files": ["backend/app/api.py"]},
  {"id": "ui", "role": "frontend", "title": "UI", "depends_on": ["api"], "files": ["frontend/src/ui.ts"]},
  {"id": "tests", "role": "testing", "title": "Tests", "depends_on": ["api", "ui"]}
]}
```"#;

    #[test]
    fn parses_a_fenced_plan_in_dependency_order() {
        let plan = Plan::parse(GOOD).unwrap();
        assert_eq!(plan.tasks.len(), 3);
        assert_eq!(plan.topological_order().unwrap(), vec![0, 1, 2]);
    }

    fn plan(tasks: &[(&str, &[&str], &[&str])]) -> Result<Plan, String> {
        let tasks: Vec<PlanTask> = tasks
            .iter()
            .map(|(id, deps, files)| PlanTask {
                id: id.to_string(),
                role: AgentRole::Backend,
                title: format!("Task {id}"),
                depends_on: deps.iter().map(|d| d.to_string()).collect(),
                files: files.iter().map(|f| f.to_string()).collect(),
            })
            .collect();
        let plan = Plan { tasks };
        plan.validate().map(|_| plan)
    }

    #[test]
    fn a_file_given_to_two_tasks_that_could_run_at_once_is_refused() {
        let err = plan(&[
            ("models", &[], &["backend/app/models.py"]),
            ("api", &["models"], &["backend/app/main.py"]),
            ("auth", &["models"], &["./backend/app//main.py"]),
        ])
        .unwrap_err();
        assert_eq!(
            err,
            "tasks `api` and `auth` both write `./backend/app//main.py` and could run at the same time; add a dependency between them, or give the file to one task"
        );
        // Through the parser too, with the same sentence the retry prompt carries.
        let text = r#"{"tasks": [
            {"id": "a", "role": "backend", "title": "A", "files": ["x.py"]},
            {"id": "b", "role": "frontend", "title": "B", "files": ["y.ts", "x.py"]}
        ]}"#;
        let err = Plan::parse(text).unwrap_err();
        assert!(err.contains("`a` and `b`") && err.contains("`x.py`") && err.contains("add a dependency"), "{err}");
    }

    #[test]
    fn tasks_ordered_by_a_dependency_may_share_a_file() {
        // Directly.
        plan(&[("api", &[], &["app/main.py"]), ("tests", &["api"], &["app/main.py", "tests/t.py"])]).unwrap();
        // Through a chain: c depends on b, which depends on a.
        plan(&[
            ("a", &[], &["app/main.py"]),
            ("b", &["a"], &["app/other.py"]),
            ("c", &["b"], &["app/main.py"]),
            ("d", &["c", "a"], &["app/main.py"]),
        ])
        .unwrap();
        // The order the tasks are listed in does not matter, nor a file listed twice by one task.
        plan(&[("late", &["early"], &["x.py"]), ("early", &[], &["x.py", "x.py"])]).unwrap();
        // Siblings of a chain are not ordered with each other.
        let err = plan(&[("a", &[], &[]), ("b", &["a"], &["x.py"]), ("c", &["a"], &["x.py"])]).unwrap_err();
        assert!(err.starts_with("tasks `b` and `c` both write `x.py`"), "{err}");
    }

    #[test]
    fn rejects_what_it_must_with_a_reason() {
        let cases = [
            ("no json here", "no JSON"),
            ("{\"tasks\": []}", "no tasks"),
            ("{\"tasks\": [{\"id\": \"a\", \"role\": \"chef\", \"title\": \"x\"}]}", "not an agent role"),
            (
                "{\"tasks\": [{\"id\": \"a\", \"role\": \"backend\", \"title\": \"x\", \"depends_on\": [\"b\"]}]}",
                "unknown task",
            ),
            (
                "{\"tasks\": [{\"id\": \"a\", \"role\": \"backend\", \"title\": \"x\", \"depends_on\": [\"b\"]}, {\"id\": \"b\", \"role\": \"backend\", \"title\": \"y\", \"depends_on\": [\"a\"]}]}",
                "cycle",
            ),
            ("{\"tasks\": [{\"id\": \"a\", \"role\": \"backend\", \"title\": \"x\", \"files\": [\"../evil\"]}]}", ".."),
            (
                "{\"tasks\": [{\"id\": \"a\", \"role\": \"backend\", \"title\": \"x\", \"files\": [\"/etc/passwd\"]}]}",
                "absolute",
            ),
            ("{\"tasks\": [{\"id\": \"A B\", \"role\": \"backend\", \"title\": \"x\"}]}", "must be"),
            (
                "{\"tasks\": [{\"id\": \"a\", \"role\": \"backend\", \"title\": \"x\"}, {\"id\": \"a\", \"role\": \"backend\", \"title\": \"y\"}]}",
                "twice",
            ),
            ("{\"tasks\": [{\"id\": \"a\", \"role\": \"backend\", \"title\": \"x\", \"extra\": 1}]}", "invalid"),
        ];
        for (text, needle) in cases {
            let err = Plan::parse(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
