// Command etcd is etcd's own server entry point (go.etcd.io/etcd/server/v3/etcdmain),
// built here because the etcd server module is a library: the upstream binary's main
// package lives in a module of its own that we do not need.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
