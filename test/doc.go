// Package test holds evote's tests that cross package boundaries. Nothing
// imports it.
//
// Today it holds the dependency guard (deps_test.go), which checks that tally
// and election keep to the imports the design allows, and the spec checks
// (spec_test.go), which re-derive the byte layouts and transcripts of
// docs/spec from the text and compare them with tally. End-to-end tests
// (multi-node clusters, browser tests, fault injection) join it in later
// milestones.
package test
