//! The Prometheus HTTP API's JSON, parsed without trusting it: any body gives series or an error,
//! never a panic.
//!
//! `/api/v1/query_range` answers
//! `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{...},"values":[[t,"v"],...]}]}}`;
//! `/api/v1/query` a `vector` (`"value":[t,"v"]`) or a `scalar`; `/api/v1/label/<name>/values`
//! and `/api/v1/series` a list. Errors are `{"status":"error","errorType":"bad_data","error":"..."}`.
//! Values are strings so that `NaN` and `±Inf` survive JSON; those, and anything that is not a
//! number, are dropped here (a missing value is "not known", never zero).

use serde::Deserialize;
use std::collections::BTreeMap;

/// One series: its labels (`__name__` included when the query kept it) and its samples, as
/// (Unix seconds, value), oldest first, finite values only.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    pub points: Vec<(f64, f64)>,
}

impl Series {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.get(name).map(String::as_str)
    }

    /// The metric name, when the query kept it.
    pub fn name(&self) -> Option<&str> {
        self.label("__name__")
    }
}

/// What the server said besides the data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Answer<T> {
    pub data: T,
    /// `warnings` of the response (Thanos and Mimir use them for partial answers).
    pub warnings: Vec<String>,
    /// Samples dropped because their value was not a finite number or their time was bad.
    pub dropped: usize,
}

/// An answer that is not data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// `status: error`: the server's own words (`bad_data: parse error at char 5: ...`).
    Server { error_type: String, message: String },
    /// Not the JSON the API documents (a proxy's HTML page, a truncated body, ...).
    Malformed(String),
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Server {
                error_type,
                message,
            } if error_type.is_empty() => write!(f, "{message}"),
            ApiError::Server {
                error_type,
                message,
            } => write!(f, "{error_type}: {message}"),
            ApiError::Malformed(m) => write!(f, "not a Prometheus API answer: {m}"),
        }
    }
}

#[derive(Deserialize)]
struct Envelope<D> {
    status: Option<String>,
    data: Option<D>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
    warnings: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct QueryData {
    #[serde(rename = "resultType")]
    result_type: Option<String>,
    result: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct SeriesJson {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<serde_json::Value>,
    value: Option<serde_json::Value>,
}

/// A sample `[t, "v"]`; `None` for anything else, a non-finite value or a time that is not a
/// plausible Unix time.
fn sample(v: &serde_json::Value) -> Option<(f64, f64)> {
    let a = v.as_array()?;
    if a.len() != 2 {
        return None;
    }
    let t = match &a[0] {
        serde_json::Value::Number(n) => n.as_f64()?,
        serde_json::Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    let x: f64 = match &a[1] {
        serde_json::Value::String(s) => s.trim().parse().ok()?,
        serde_json::Value::Number(n) => n.as_f64()?,
        _ => return None,
    };
    // Years 1970 to about 5000: anything else is not a sample time.
    (t.is_finite() && (0.0..1e11).contains(&t) && x.is_finite()).then_some((t, x))
}

fn envelope<D: for<'de> Deserialize<'de>>(body: &str) -> Result<(D, Vec<String>), ApiError> {
    let env: Envelope<D> = serde_json::from_str(body)
        .map_err(|e| ApiError::Malformed(format!("{e} (body starts {:?})", head(body))))?;
    let warnings = env.warnings.unwrap_or_default();
    match env.status.as_deref() {
        Some("success") => match env.data {
            Some(d) => Ok((d, warnings)),
            None => Err(ApiError::Malformed("status success without data".into())),
        },
        Some("error") => Err(ApiError::Server {
            error_type: env.error_type.unwrap_or_default(),
            message: env.error.unwrap_or_else(|| "unspecified error".into()),
        }),
        other => Err(ApiError::Malformed(format!("status {other:?}"))),
    }
}

/// The first characters of a body, for error messages.
pub fn head(body: &str) -> String {
    body.chars().take(80).collect()
}

/// Parses the answer of `query_range` (a matrix) or `query` (a vector or scalar) into series.
/// Samples of each series are sorted by time; duplicate times keep the last value.
pub fn parse_query(body: &str) -> Result<Answer<Vec<Series>>, ApiError> {
    let (d, warnings): (QueryData, _) = envelope(body)?;
    let mut dropped = 0;
    let result = d.result.unwrap_or(serde_json::Value::Null);
    let out = match d.result_type.as_deref() {
        Some("matrix") | Some("vector") => {
            let items: Vec<SeriesJson> = serde_json::from_value(result)
                .map_err(|e| ApiError::Malformed(format!("result: {e}")))?;
            items
                .into_iter()
                .map(|s| {
                    let raw: Vec<&serde_json::Value> =
                        s.values.iter().chain(s.value.iter()).collect();
                    let mut points: Vec<(f64, f64)> =
                        raw.iter().filter_map(|v| sample(v)).collect();
                    dropped += raw.len() - points.len();
                    points.sort_by(|a, b| a.0.total_cmp(&b.0));
                    points.dedup_by(|later, earlier| {
                        if later.0 == earlier.0 {
                            earlier.1 = later.1;
                            true
                        } else {
                            false
                        }
                    });
                    Series {
                        labels: s.metric,
                        points,
                    }
                })
                .collect()
        }
        Some("scalar") => match sample(&result) {
            Some(p) => vec![Series {
                labels: BTreeMap::new(),
                points: vec![p],
            }],
            None => Vec::new(),
        },
        other => return Err(ApiError::Malformed(format!("resultType {other:?}"))),
    };
    Ok(Answer {
        data: out,
        warnings,
        dropped,
    })
}

/// Parses `/api/v1/label/<name>/values`: a list of strings.
pub fn parse_label_values(body: &str) -> Result<Answer<Vec<String>>, ApiError> {
    let (d, warnings): (serde_json::Value, _) = envelope(body)?;
    let arr = d
        .as_array()
        .ok_or_else(|| ApiError::Malformed("label values: data is not a list".into()))?;
    let mut dropped = 0;
    let mut out = Vec::with_capacity(arr.len());
    for v in arr {
        match v.as_str() {
            Some(s) => out.push(s.to_string()),
            None => dropped += 1,
        }
    }
    Ok(Answer {
        data: out,
        warnings,
        dropped,
    })
}

/// Parses `/api/v1/series`: a list of label sets.
pub fn parse_series_list(body: &str) -> Result<Answer<Vec<BTreeMap<String, String>>>, ApiError> {
    let (d, warnings): (serde_json::Value, _) = envelope(body)?;
    let arr = d
        .as_array()
        .ok_or_else(|| ApiError::Malformed("series: data is not a list".into()))?;
    let mut dropped = 0;
    let mut out = Vec::with_capacity(arr.len());
    for v in arr {
        match serde_json::from_value::<BTreeMap<String, String>>(v.clone()) {
            Ok(m) => out.push(m),
            Err(_) => dropped += 1,
        }
    }
    Ok(Answer {
        data: out,
        warnings,
        dropped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix() {
        let body = r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"__name__":"node_load1","instance":"a:9100"},"values":[[1700000060,"0.5"],[1700000000,"0.25"],[1700000120,"NaN"],[1700000180,"+Inf"]]},
            {"metric":{},"values":[]}]},"warnings":["partial"]}"#;
        let a = parse_query(body).expect("ok");
        assert_eq!(a.data.len(), 2);
        assert_eq!(a.data[0].name(), Some("node_load1"));
        assert_eq!(
            a.data[0].points,
            vec![(1700000000.0, 0.25), (1700000060.0, 0.5)]
        );
        assert_eq!(a.dropped, 2);
        assert_eq!(a.warnings, vec!["partial".to_string()]);
    }

    #[test]
    fn vector_scalar_and_errors() {
        let v = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"instance":"x"},"value":[1.5,"3"]}]}}"#;
        assert_eq!(parse_query(v).expect("ok").data[0].points, vec![(1.5, 3.0)]);
        let s = r#"{"status":"success","data":{"resultType":"scalar","result":[2,"7"]}}"#;
        assert_eq!(parse_query(s).expect("ok").data[0].points, vec![(2.0, 7.0)]);
        let e = r#"{"status":"error","errorType":"bad_data","error":"parse error at char 3"}"#;
        assert_eq!(
            parse_query(e),
            Err(ApiError::Server {
                error_type: "bad_data".into(),
                message: "parse error at char 3".into()
            })
        );
        assert!(matches!(
            parse_query("<html>502 Bad Gateway</html>"),
            Err(ApiError::Malformed(_))
        ));
        assert!(matches!(
            parse_query(r#"{"status":"success"}"#),
            Err(ApiError::Malformed(_))
        ));
        assert!(matches!(
            parse_query(r#"{"status":"success","data":{"resultType":"matrix","result":{}}}"#),
            Err(ApiError::Malformed(_))
        ));
    }

    #[test]
    fn lists() {
        let l = r#"{"status":"success","data":["a:9100","b:9100",3]}"#;
        let a = parse_label_values(l).expect("ok");
        assert_eq!(a.data, vec!["a:9100".to_string(), "b:9100".to_string()]);
        assert_eq!(a.dropped, 1);
        let s = r#"{"status":"success","data":[{"__name__":"up","instance":"a"},{"x":1}]}"#;
        let a = parse_series_list(s).expect("ok");
        assert_eq!(a.data.len(), 1);
        assert_eq!(a.dropped, 1);
    }
}
