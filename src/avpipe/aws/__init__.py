"""avpipe on AWS: Lambda handlers, event parsing and the runtime that wires clients from env.

Handlers (for the Lambda ``Handler`` setting):

- ``avpipe.aws.handlers.media_lambda_handler``: S3 ObjectCreated under ``inputs/`` (watch bucket)
- ``avpipe.aws.handlers.save_video_frame``: S3 ObjectCreated under ``original/`` (public bucket)
- ``avpipe.aws.handlers.job_state_change``: EventBridge "MediaConvert Job State Change"
"""
