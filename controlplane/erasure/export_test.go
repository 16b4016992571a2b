package erasure

// PendingChecks is how many reads of system.mutations found a mutation
// unfinished, over every job the service ran.
func (s *Service) PendingChecks() uint64 { return s.pendingChecks.Load() }
