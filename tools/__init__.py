"""Development tools of replicate_ext: the spec tool and the generation pipeline. Not shipped."""
