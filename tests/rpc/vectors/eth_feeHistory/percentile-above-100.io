// percentiles are at most 100: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_feeHistory","params":["0x1","latest",[101]]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: rewardPercentiles must be numbers from 0 to 100"}}
