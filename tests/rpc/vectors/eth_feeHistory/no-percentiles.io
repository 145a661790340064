// without percentiles there is no reward field
>> {"jsonrpc":"2.0","id":1,"method":"eth_feeHistory","params":["0x5","latest"]}
<< {"jsonrpc":"2.0","id":1,"result":{"oldestBlock":"0x0","baseFeePerGas":["0x3b9aca00","0x342770c0"],"gasUsedRatio":[0.0]}}
