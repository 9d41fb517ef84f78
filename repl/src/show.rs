//! `.show` (the current settings, as sqlite3 lists them) and `.width` (fixed column widths
//! for the grid modes, negative for right-aligned, 0 for automatic, as in sqlite3).

use crate::shell::{Shell, Target};

impl Shell {
    /// `.width [N ...]`: fixed widths of the first columns in box, table and markdown modes.
    pub fn width(&mut self, args: &[String]) -> Result<(), String> {
        let widths = args
            .iter()
            .map(|arg| {
                arg.parse::<i64>()
                    .map_err(|_| format!("usage: .width N ... (column widths), not {arg:?}"))
            })
            .collect::<Result<Vec<i64>, String>>()?;
        self.settings.column_widths = widths;
        Ok(())
    }

    /// `.show`: one `name: value` line per setting, names right-aligned.
    pub fn show(&mut self) -> Result<(), String> {
        let on_off = |on: bool| if on { "on" } else { "off" };
        let mode = format!("{:?}", self.settings.mode).to_ascii_lowercase();
        let null_text = format!("{:?}", self.settings.null_text);
        let output = match &self.target {
            Target::Stdout(_) => "stdout",
            Target::File { once: true, .. } => "file (once)",
            Target::File { .. } => "file",
        };
        let max_rows = match self.settings.max_rows {
            usize::MAX => "0 (all rows)".to_string(),
            n => n.to_string(),
        };
        let timeout = self
            .connection
            .statement_timeout()
            .map_or("off".to_string(), ember::exec::format_duration);
        let widths: Vec<String> = self
            .settings
            .column_widths
            .iter()
            .map(i64::to_string)
            .collect();
        let filename = self.location.as_deref().unwrap_or(":memory:").to_string();
        let lines = [
            ("headers", on_off(self.settings.headers).to_string()),
            ("mode", mode),
            ("nullvalue", null_text),
            ("output", output.to_string()),
            ("maxrows", max_rows),
            ("timer", on_off(self.timer).to_string()),
            ("timeout", timeout),
            ("width", widths.join(" ")),
            ("filename", filename),
        ];
        let mut text = String::new();
        for (name, value) in lines {
            text.push_str(&format!("{name:>12}: {value}\n"));
        }
        let out = self.out();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|error| format!("cannot write output: {error}"))?;
        self.statement_done();
        Ok(())
    }
}
