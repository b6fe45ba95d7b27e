//! Reading `/metrics` the way Prometheus does: every sample line as `series → value`, where a
//! series is the metric name with its labels as rendered (`name{a="b"}`).

use std::collections::{BTreeMap, BTreeSet};

pub struct Scrape {
    pub text: String,
    samples: BTreeMap<String, f64>,
}

impl Scrape {
    pub fn parse(text: String) -> Self {
        let samples = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let (series, value) = l
                    .rsplit_once(' ')
                    .unwrap_or_else(|| panic!("not a sample: {l}"));
                let value = value
                    .parse()
                    .unwrap_or_else(|e| panic!("{l}: bad value: {e}"));
                (series.to_owned(), value)
            })
            .collect();
        Self { text, samples }
    }

    /// The value of one series, `None` when the endpoint does not show it.
    pub fn get(&self, series: &str) -> Option<f64> {
        self.samples.get(series).copied()
    }

    /// The value of one series; the test fails with the whole scrape when it is missing.
    pub fn value(&self, series: &str) -> f64 {
        self.get(series)
            .unwrap_or_else(|| panic!("no {series} on /metrics:\n{}", self.text))
    }

    /// The sum of every series of `name` (all label values).
    pub fn sum(&self, name: &str) -> f64 {
        self.samples
            .iter()
            .filter(|(series, _)| series.split('{').next() == Some(name))
            .map(|(_, v)| v)
            .sum()
    }

    /// Every sample name (`handoff_x_total`, `handoff_x_bucket`, ...), labels stripped.
    pub fn names(&self) -> BTreeSet<String> {
        self.samples
            .keys()
            .map(|s| s.split('{').next().unwrap_or(s).to_owned())
            .collect()
    }
}

/// GET `base/metrics`.
pub async fn scrape(base: &str) -> Scrape {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    Scrape::parse(text)
}
