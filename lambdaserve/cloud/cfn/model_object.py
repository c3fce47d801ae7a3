"""The execution role's access to a model kept in S3 (model.s3_uri): GetObject on that one object."""

from __future__ import annotations

from lambdaserve.cloud.cfn.common import Json, sub
from lambdaserve.config import Config


def model_object_arn(bucket: str, key: str) -> Json:
    # "${" in a key would start a substitution; "${!" is Fn::Sub's literal form
    return sub("arn:${AWS::Partition}:s3:::" + f"{bucket}/{key}".replace("${", "${!"))


def model_read_policies(config: Config) -> list[Json]:
    """The inline policy that lets the function fetch its model at init; none when it ships in the zip.

    Only s3:GetObject on the object itself: not the bucket, not a prefix. Without s3:ListBucket a
    missing object answers 403, which the runtime's message explains (runtime/s3_model.py).
    """
    location = config.model.s3_location
    if location is None:
        return []
    statements: list[Json] = [{"Effect": "Allow", "Action": "s3:GetObject",
                               "Resource": model_object_arn(*location)}]
    if config.model.s3_kms_key:  # SSE-KMS with a customer key: GetObject needs Decrypt, through S3 only
        via = {"kms:ViaService": sub("s3.${AWS::Region}.amazonaws.com")}
        statements.append({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": config.model.s3_kms_key,
                           "Condition": {"StringEquals": via}})
    return [{"PolicyName": "read-own-model", "PolicyDocument": {"Version": "2012-10-17",
                                                                "Statement": statements}}]
