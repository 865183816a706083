"""`python build.py deploy`: publish output/ to an S3-compatible bucket, an SFTP server or a folder.

targets (site.yaml's 发布: list, the secret refusal) · local (the last successful build's files and
their MD5s) · plan (what to upload, in which order, what to delete; content types, caching) ·
remote (the transport interface, the manifest of hashes and the journal) · s3, sftp, folder (the
transports) · run (the command: parallel uploads, progress, the Chinese summary).
"""
