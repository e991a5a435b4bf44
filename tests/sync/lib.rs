//! The repository's generated files checked against the code that generates them; see
//! `sync.rs`. A file that drifted is rewritten with `UPDATE_FIXTURES=1`.

pub mod helm {
    //! The part of Helm's templates (Go `text/template` with Sprig) that the chart uses,
    //! rendered as Helm renders it:
    //!
    //! - `{{ .Values.a.b }}`, `{{ .Values.a.b | quote }}`;
    //! - `{{ toYaml .Values.a | nindent N }}`;
    //! - `{{- range $key, $value := .Values.map }} ... {{ $key }} ... {{ $value | quote }} ... {{- end }}`
    //!   (keys in sorted order, as Go iterates maps);
    //! - `{{-` and `-}}` trim the whitespace before and after the action.
    //!
    //! Any other action is an error, so a chart change the test cannot render fails loudly.

    use serde_norway::Value;

    /// `template` rendered with `values`.
    pub fn render(template: &str, values: &Value) -> Result<String, String> {
        render_with(template, values, &[])
    }

    /// `template` rendered with `values` and the range variables `bound`.
    fn render_with(
        template: &str,
        values: &Value,
        bound: &[(&str, &Value)],
    ) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            let (text, action) = rest.split_at(start);
            let end = action.find("}}").ok_or("an action is not closed")?;
            let mut inner = &action[2..end];
            rest = &action[end + 2..];
            out.push_str(text);
            if let Some(trimmed) = inner.strip_prefix('-') {
                inner = trimmed;
                out.truncate(out.trim_end().len());
            }
            if let Some(trimmed) = inner.strip_suffix('-') {
                inner = trimmed;
                rest = rest.trim_start();
            }
            let action = inner.trim();
            if let Some(range) = action.strip_prefix("range ") {
                let close = rest.find("{{- end }}").ok_or("a range has no {{- end }}")?;
                let (body, after) = rest.split_at(close);
                rest = &after["{{- end }}".len()..];
                // `{{- end }}` trims the end of the body, in every iteration.
                out.push_str(&render_range(range, body.trim_end(), values)?);
                continue;
            }
            out.push_str(&evaluate(action, values, bound)?);
        }
        out.push_str(rest);
        Ok(out)
    }

    /// `$key, $value := .Values.map` over `body`.
    fn render_range(range: &str, body: &str, values: &Value) -> Result<String, String> {
        let (vars, path) = range
            .split_once(":=")
            .ok_or_else(|| format!("unsupported range {range:?}"))?;
        let (key_var, value_var) = vars
            .split_once(',')
            .map(|(k, v)| (k.trim(), v.trim()))
            .ok_or_else(|| format!("unsupported range {range:?}"))?;
        let map = lookup(path.trim(), values)?
            .as_mapping()
            .ok_or_else(|| format!("{path} is not a map"))?;
        let mut entries: Vec<(String, &Value)> = map
            .iter()
            .map(|(k, v)| Ok((scalar(k)?, v)))
            .collect::<Result<_, String>>()?;
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = String::new();
        for (key, value) in entries {
            let key_value = Value::String(key);
            let bound = [(key_var, &key_value), (value_var, value)];
            out.push_str(&render_with(body, values, &bound)?);
        }
        Ok(out)
    }

    fn evaluate(action: &str, values: &Value, bound: &[(&str, &Value)]) -> Result<String, String> {
        let parts: Vec<&str> = action.split('|').map(str::trim).collect();
        match parts.as_slice() {
            [path] => scalar(resolve(path, values, bound)?),
            [path, "quote"] => {
                let text = scalar(resolve(path, values, bound)?)?;
                Ok(serde_json::to_string(&text).map_err(|e| e.to_string())?)
            }
            [to_yaml, nindent] if to_yaml.starts_with("toYaml ") => {
                let value = resolve(&to_yaml["toYaml ".len()..], values, bound)?;
                let indent: usize = nindent
                    .strip_prefix("nindent ")
                    .and_then(|n| n.trim().parse().ok())
                    .ok_or_else(|| format!("unsupported pipeline {action:?}"))?;
                let yaml = serde_norway::to_string(value).map_err(|e| e.to_string())?;
                let pad = " ".repeat(indent);
                Ok(yaml
                    .trim_end()
                    .lines()
                    .map(|line| format!("\n{pad}{line}"))
                    .collect())
            }
            _ => Err(format!("unsupported action {{{{ {action} }}}}")),
        }
    }

    fn resolve<'a>(
        path: &str,
        values: &'a Value,
        bound: &[(&str, &'a Value)],
    ) -> Result<&'a Value, String> {
        let path = path.trim();
        if path.starts_with('$') {
            return bound
                .iter()
                .find(|(name, _)| *name == path)
                .map(|(_, v)| *v)
                .ok_or_else(|| format!("{path} is not bound"));
        }
        lookup(path, values)
    }

    fn lookup<'a>(path: &str, values: &'a Value) -> Result<&'a Value, String> {
        let rest = path
            .strip_prefix(".Values.")
            .ok_or_else(|| format!("unsupported reference {path:?}"))?;
        rest.split('.').try_fold(values, |v, key| {
            v.get(key)
                .ok_or_else(|| format!("{path}: no value {key:?}"))
        })
    }

    fn scalar(value: &Value) -> Result<String, String> {
        match value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(format!("{other:?} is not a scalar")),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn renders_the_supported_actions_and_refuses_others() {
            let values: Value = serde_norway::from_str(
                "name: svc\nenv: {B: \"2\", A: x}\nres: {limits: {memory: 1Mi}}\nn: 3\n",
            )
            .expect("yaml");
            let template = "n: {{ .Values.name }}\nr: {{ .Values.n }}\ndata:\n{{- range $k, $v := .Values.env }}\n  {{ $k }}: {{ $v | quote }}\n{{- end }}\nres:\n  {{- toYaml .Values.res | nindent 2 }}\n";
            assert_eq!(
                render(template, &values).expect("renders"),
                "n: svc\nr: 3\ndata:\n  A: \"x\"\n  B: \"2\"\nres:\n  limits:\n    memory: 1Mi\n"
            );
            assert!(render("{{ .Release.Name }}", &values).is_err());
            assert!(render("{{ include \"x\" . }}", &values).is_err());
            assert!(render("{{ .Values.missing }}", &values).is_err());
        }
    }
}
