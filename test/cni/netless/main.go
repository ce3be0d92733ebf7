// netless is a test helper CNI plugin for the real test node. Chained after the standard
// loopback plugin, it gives a pod no network at all (only lo) but reports a placeholder
// loopback address for eth0, because containerd refuses a sandbox whose CNI result has no
// address. No traffic can leave such a pod: it has no interface but lo.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

const supported = `{"cniVersion":"1.0.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0"]}`

func main() {
	switch os.Getenv("CNI_COMMAND") {
	case "VERSION":
		fmt.Println(supported)
	case "ADD":
		var conf struct {
			CNIVersion string `json:"cniVersion"`
		}
		data, _ := io.ReadAll(os.Stdin)
		if err := json.Unmarshal(data, &conf); err != nil {
			fail(err)
		}
		result := map[string]any{
			"cniVersion": conf.CNIVersion,
			"interfaces": []map[string]string{{"name": os.Getenv("CNI_IFNAME"), "sandbox": os.Getenv("CNI_NETNS")}},
			"ips":        []map[string]any{{"address": "127.0.0.2/8", "interface": 0}},
		}
		if err := json.NewEncoder(os.Stdout).Encode(result); err != nil {
			fail(err)
		}
	case "DEL", "CHECK", "GC", "STATUS":
	default:
		fail(fmt.Errorf("unknown CNI_COMMAND %q", os.Getenv("CNI_COMMAND")))
	}
}

func fail(err error) {
	fmt.Printf(`{"cniVersion":"1.0.0","code":100,"msg":%q}`+"\n", err.Error())
	os.Exit(1)
}
