// a signed Ethereum transaction is the extrinsic: bad bytes are refused (-32003)
>> {"jsonrpc":"2.0","id":1,"method":"author_submitExtrinsic","params":["0xc0"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32003,"message":"MalformedTransaction: legacy transaction must be an RLP list of 9 fields","data":{"reason":"MalformedTransaction"}}}
