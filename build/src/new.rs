//! Starting a policy project.
