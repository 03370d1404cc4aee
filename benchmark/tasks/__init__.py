"""Task distributions: each samples a meta-batch of tasks from a stateless seed."""
