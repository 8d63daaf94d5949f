package immuadmin

import (
	"encoding/json"
	"fmt"
	"strings"
)

// emit prints a result: text for humans, or v as one JSON document.
func (a *app) emit(text string, v any) error {
	if a.jsonMode {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Errorf("encoding output: %w", err)
		}
		_, err = fmt.Fprintf(a.out, "%s\n", b)
		return err
	}
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	_, err := fmt.Fprint(a.out, text)
	return err
}

// message prints a one-line result ({"result": ...} in JSON).
func (a *app) message(text string) error {
	return a.emit(text, map[string]string{"result": strings.TrimRight(text, "\n")})
}

// note prints a side remark for humans on stderr (never in JSON output).
func (a *app) note(format string, args ...any) {
	fmt.Fprintf(a.errOut, format+"\n", args...)
}

func (a *app) printError(err error) {
	msg := errorText(err)
	if a.jsonMode {
		b, _ := json.Marshal(map[string]string{"error": msg})
		fmt.Fprintf(a.out, "%s\n", b)
		return
	}
	fmt.Fprintf(a.errOut, "Error: %s\n", msg)
}

// byteCount renders n bytes with binary units, as immudb's stats do.
func byteCount(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
