"""A small hand-written CloudFormation template, so deploy tests do not depend on the generator."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any


def tiny_zip(path: Path, body: str = "ok") -> Path:
    """A real Lambda zip whose handler answers /health."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # a fixed timestamp: the same body must give the same bytes (uploads are content-addressed)
        entry = zipfile.ZipInfo("app.py", date_time=(2024, 1, 1, 0, 0, 0))
        archive.writestr(entry, "import json\n\ndef handler(event, context):\n"
                                   f"    return {{'statusCode': 200, 'body': json.dumps({body!r})}}\n")
    path.write_bytes(buffer.getvalue())
    return path


def template(name: str = "demo", stage: str = "prod", memory: int = 512) -> dict[str, Any]:
    function = {"Ref": "Function"}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"ArtifactBucket": {"Type": "String"}, "ArtifactKey": {"Type": "String"},
                       "ArtifactSha256": {"Type": "String"}},
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole"}]}}},
            "LogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {
                "LogGroupName": f"/aws/lambda/{name}", "RetentionInDays": 14}},
            "Function": {"Type": "AWS::Lambda::Function", "DependsOn": ["LogGroup"], "Properties": {
                "FunctionName": name, "Runtime": "python3.12", "Handler": "app.handler",
                "MemorySize": memory, "Timeout": 30, "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Code": {"S3Bucket": {"Ref": "ArtifactBucket"}, "S3Key": {"Ref": "ArtifactKey"}},
                "Environment": {"Variables": {"CODE_SHA256": {"Ref": "ArtifactSha256"}}}}},
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": name}},
            "Health": {"Type": "AWS::ApiGateway::Resource", "Properties": {
                "RestApiId": {"Ref": "Api"}, "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
                "PathPart": "health"}},
            "HealthGet": {"Type": "AWS::ApiGateway::Method", "Properties": {
                "RestApiId": {"Ref": "Api"}, "ResourceId": {"Ref": "Health"}, "HttpMethod": "GET",
                "AuthorizationType": "NONE", "Integration": {
                    "Type": "AWS_PROXY", "IntegrationHttpMethod": "POST",
                    "Uri": {"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/"
                                       "functions/${Function.Arn}/invocations"}}}},
            "Deployment": {"Type": "AWS::ApiGateway::Deployment", "DependsOn": ["HealthGet"],
                           "Properties": {"RestApiId": {"Ref": "Api"}}},
            "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {
                "RestApiId": {"Ref": "Api"}, "DeploymentId": {"Ref": "Deployment"}, "StageName": stage}},
            "Permission": {"Type": "AWS::Lambda::Permission", "Properties": {
                "FunctionName": function, "Action": "lambda:InvokeFunction",
                "Principal": "apigateway.amazonaws.com"}},
        },
        "Outputs": {
            "ApiUrl": {"Value": {"Fn::Sub": f"https://${{Api}}.execute-api.${{AWS::Region}}.amazonaws.com/{stage}"}},
            "FunctionName": {"Value": function},
            "FunctionArn": {"Value": {"Fn::GetAtt": ["Function", "Arn"]}},
            "LogGroupName": {"Value": {"Ref": "LogGroup"}},
        },
    }
