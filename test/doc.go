// Package test holds evote's tests that cross package boundaries. Nothing
// imports it.
//
// Today it holds the dependency guard (deps_test.go), which checks that tally
// and election keep to the imports the design allows. End-to-end tests
// (multi-node clusters, browser tests, fault injection) join it in later
// milestones.
package test
