// Command sdkpack writes the npm package of the browser SDK
// (@popinbridge/sdk, see widget-sdk/npm) into a directory, ready for
// `npm pack` or `npm publish`. `make sdk-package` runs it and packs.
//
//	go run ./widget-sdk/cmd/sdkpack [-o widget-sdk/dist/npm] [-version 1.2.3]
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/popinbridge/bridge/widget-sdk/npm"
)

func main() {
	dir := flag.String("o", "widget-sdk/dist/npm", "directory to write the package into")
	version := flag.String("version", "", "package version (semver); default: widget-sdk/npm/package.json's")
	flag.Parse()
	if err := npm.Write(*dir, *version); err != nil {
		fmt.Fprintln(os.Stderr, "sdkpack:", err)
		os.Exit(1)
	}
	fmt.Println(*dir)
}
