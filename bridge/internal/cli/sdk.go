package cli

import (
	"flag"
	"fmt"
	"io"
	"os"

	widgetsdk "github.com/popinbridge/bridge/widget-sdk"
)

func runSDK(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sdk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the SDK to this file (default: standard output)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	js, err := widgetsdk.Bundle()
	if err != nil {
		fmt.Fprintf(stderr, "bridge: sdk: %v\n", err)
		return exitRuntime
	}
	if *out == "" {
		_, err = stdout.Write(js)
	} else {
		err = os.WriteFile(*out, js, 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "bridge: sdk: %v\n", err)
		return exitRuntime
	}
	return exitOK
}
