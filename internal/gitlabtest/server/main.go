// Command server runs gitlabtest's GitLab-shaped API on 127.0.0.1 for the
// pipeline tests (scripts/test-pipelines.sh): it writes its base URL to
// -addr-file and, after every change, the merge request's notes as JSON
// to -notes-file. It runs until killed.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/keaops/keaops/internal/gitlabtest"
)

func main() {
	token := flag.String("token", "", "the PRIVATE-TOKEN it accepts")
	addrFile := flag.String("addr-file", "", "where to write http://127.0.0.1:PORT")
	notesFile := flag.String("notes-file", "", "where to write the notes after each change")
	flag.Parse()
	s := gitlabtest.New(*token)
	s.OnChange = func(_ string, notes []gitlabtest.Note) {
		b, _ := json.MarshalIndent(notes, "", "  ")
		os.WriteFile(*notesFile+".new", b, 0o644)
		os.Rename(*notesFile+".new", *notesFile)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(*addrFile, []byte("http://"+l.Addr().String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, http.Serve(l, s))
	os.Exit(1)
}
