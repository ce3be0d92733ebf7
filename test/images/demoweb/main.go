// Command demoweb is the test image for kubectl demoingress: a web server that takes
// hashicorp/http-echo's flags (-listen, -text) and answers every path with the text.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"time"
)

func main() {
	listen := flag.String("listen", ":5678", "address to listen on")
	text := flag.String("text", "hello", "text to answer with")
	flag.Parse()
	srv := &http.Server{Addr: *listen, ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, *text)
	})}
	log.Fatal(srv.ListenAndServe())
}
